import type { Command } from 'commander';
import { BerthError, EXIT_STATUS } from '../common/errors.js';
import { DEFAULT_SHELL_CMD } from '../interactive/shell-stream.js';
import type { Session } from '../session/session.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { runExecCommand } from './exec-command.js';
import { hasAgent, startDetached } from './proc-commands.js';
import { shortIds } from './fail.js';
import { sessionFilter } from './session-filter.js';
import { formatRows } from './format.js';
import { localTime, table } from './table.js';
import { securityText } from './security-commands.js';
import { collect, duration, keyValues, sinceTime, wholeNumber } from './parse.js';
import { runTerminal } from './terminal.js';

const out = (s: string) => process.stdout.write(s);

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** The fields `ps --format` knows (docker's names). */
function psRow(s: Session): Record<string, unknown> {
  return {
    ID: s.id,
    Name: s.name,
    State: s.state,
    Image: s.spec.image,
    Backend: s.backend,
    CreatedAt: localTime(s.createdAt),
    RunningFor: ago(s.createdAt),
    EndedAt: s.endedAt ? localTime(s.endedAt) : '',
    Status: s.endReason ?? '',
    Labels: s.labels,
  };
}

/** Runs `act` on each session in turn; prints what it returns; errors go to stderr and the status is 125 if any failed. */
async function eachSession(sessions: string[], act: (s: string) => Promise<string>): Promise<void> {
  for (const s of sessions) {
    try {
      out(`${await act(s)}\n`);
    } catch (err) {
      const e = BerthError.from(err);
      process.stderr.write(`berth: error [${e.code}]: ${shortIds(e.message)}\n`);
      process.exitCode = EXIT_STATUS[e.code];
    }
  }
}

/** ps, exec, logs, stop, start, rm, prune, inspect: each a thin call to the daemon. */
export function registerSessionCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('ps')
    .description('list sessions (running, paused, stopped; -a adds ended ones), newest first')
    .option('-a, --all', 'include ended, failed and lost sessions')
    .option('-q, --quiet', 'only ids')
    .option('-f, --filter <key=value>', 'state=…, label=KEY[=VALUE], name=… (part of the name), backend=engine|local (repeatable; all must match)', collect)
    .option('--format <format>', 'table, json, a template such as "{{.ID}}\\t{{.Name}}" ("table …" adds a header), or fields: id,name,state')
    .option('--json', 'print JSON (an array)')
    .addHelpText('after', '\nExamples:\n  $ berth ps -a --filter state=ended -q\n  $ berth ps --filter label=team=ml --format "{{.Name}} {{.State}}"\n  $ berth rm $(berth ps -q --filter name=test-)')
    .action(async (o: { all?: boolean; quiet?: boolean; filter?: string[]; format?: string; json?: boolean }) => {
      const filter = sessionFilter(o.filter);
      const c = await clientFor(g());
      const list = (await c.sessions.list({ all: (o.all ?? false) || filter.states !== undefined, ...(filter.labels ? { labels: filter.labels } : {}) }))
        .filter(filter.matches)
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
      if (o.quiet) return void out(list.map((s) => `${s.id}\n`).join(''));
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      if (o.format && o.format !== 'table') return void out(formatRows(list.map(psRow), o.format, table));
      const rows = [['ID', 'NAME', 'STATE', 'IMAGE', 'BACKEND', 'CREATED', 'STATUS']];
      for (const s of list) rows.push([s.id, s.name === s.id ? '' : s.name, s.unreachable ? `${s.state} (unreachable: ${s.engine})` : s.state, s.backend === 'local' ? '-' : s.spec.image, s.backend, ago(s.createdAt), s.endReason ?? '']);
      out(table(rows));
    });

  program
    .command('exec')
    .description('run a command in a session; streams its output and exits with its exit code (124 timed out, 126 cannot run, 127 not found, 125 berth failed)')
    .usage('[options] SESSION COMMAND [ARG...]')
    .argument('<session>', 'session id or name')
    .argument('<cmd...>', 'the command and its arguments; options end at the command, as docker\'s (`--` before it is accepted too)')
    .passThroughOptions()
    .option('-i, --interactive', 'send this process\'s stdin to the command (with -t: a terminal, like berth shell)')
    .option('-t, --tty', 'with -i: an interactive terminal, like berth shell')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'user')
    .option('--detach-keys <keys>', 'with -it: keys that detach (default ctrl-p,ctrl-q; "" for none)')
    .option('--timeout <duration>', 'kill the command after this long (10s, 5m; a plain number is ms); exit status 124')
    .option('-d, --detach', 'start the command and return; it keeps running: kept by the session agent (see `berth proc`), else a detached engine exec (without -d, ctrl-C here kills the command in the session)')
    .addHelpText('after', "\nExamples:\n  $ berth exec dev ls -la /\n  $ berth exec -e A=1 -w /tmp dev sh -c 'echo $A > a'\n  $ echo data | berth exec -i dev wc -c\n  $ berth exec -it dev bash\n  $ berth exec --timeout 10s dev make test")
    .action(async (session: string, cmd: string[], o: { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string; user?: string; detachKeys?: string; timeout?: string; detach?: boolean }) => {
      if (cmd[0] === '--') cmd = cmd.slice(1);
      if (!cmd.length) throw new BerthError('InvalidArgument', 'exec: no command; e.g. berth exec dev ls -la /', { details: { problems: [{ path: 'cmd', message: 'is required' }] } });
      const env = keyValues(o.env, '--env');
      if (o.detach && (await hasAgent(await clientFor(g()), session))) {
        return startDetached(await clientFor(g()), session, cmd, {
          ...(env ? { env } : {}),
          ...(o.workdir ? { workdir: o.workdir } : {}),
          ...(o.user ? { user: o.user } : {}),
          ...(o.interactive ? { interactive: true } : {}),
        });
      }
      const timeoutMs = duration(o.timeout, '--timeout');
      const common = { ...(env ? { env } : {}), ...(o.workdir ? { workdir: o.workdir } : {}), ...(o.user ? { user: o.user } : {}) };
      const client = await clientFor(g());
      if (o.tty && o.interactive && process.stdin.isTTY) {
        const shell = await client.sessions.openShell(session, {
          cmd: cmd.length ? cmd : DEFAULT_SHELL_CMD,
          ...(process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {}),
          ...common,
          ...(o.detachKeys !== undefined ? { detachKeys: o.detachKeys } : {}),
        });
        return runTerminal(shell);
      }
      let stdin: Buffer | undefined;
      if (o.interactive) {
        const parts: Buffer[] = [];
        for await (const p of process.stdin) parts.push(p as Buffer);
        stdin = Buffer.concat(parts);
      }
      await runExecCommand(client, session, { cmd, ...common, ...(timeoutMs ? { timeoutMs } : {}), ...(stdin ? { stdin } : {}), ...(o.detach ? { detach: true } : {}) });
    });

  program
    .command('logs')
    .description("a session's main process's output (stdout to stdout, stderr to stderr)")
    .argument('<session>', 'session id or name')
    .option('-f, --follow', 'keep following')
    .option('--tail <n>', 'only the last N lines')
    .addHelpText('after', '\nExamples:\n  $ berth run --name job berth-base:debian-bookworm sh -c \'for i in 1 2 3; do echo $i; sleep 1; done\'\n  $ berth logs -f job')
    .action(async (session: string, o: { follow?: boolean; tail?: string }) => {
      const tail = wholeNumber(o.tail, '--tail');
      const c = await clientFor(g());
      const logs = await c.sessions.logs(session, { follow: o.follow ?? false, ...(tail !== undefined ? { tail } : {}) });
      logs.stdout.pipe(process.stdout);
      logs.stderr.pipe(process.stderr);
      await Promise.all([new Promise((r) => logs.stdout.on('end', r)), new Promise((r) => logs.stderr.on('end', r))]);
    });

  program
    .command('stop')
    .description('stop sessions (their containers stop; they can be started again)')
    .argument('<session...>', 'session ids or names')
    .option('-t, --time <seconds>', 'grace period before SIGKILL, in seconds (or with a unit: 500ms, 1m)', '10')
    .addHelpText('after', '\nExample:\n  $ berth stop -t 1 dev web')
    .action(async (sessions: string[], o: { time: string }) => {
      const ms = duration(o.time, '--time', 's')!;
      const c = await clientFor(g());
      await eachSession(sessions, async (s) => (await c.sessions.stop(s, { graceSeconds: Math.ceil(ms / 1000) })).id);
    });

  program
    .command('start')
    .description('start stopped sessions')
    .argument('<session...>', 'session ids or names')
    .addHelpText('after', '\nExample:\n  $ berth start dev')
    .action(async (sessions: string[]) => {
      const c = await clientFor(g());
      await eachSession(sessions, async (s) => (await c.sessions.start(s)).id);
    });

  program
    .command('rm')
    .description('end sessions: stop and remove their containers; the records stay (see prune) and the names are free again')
    .argument('<session...>', 'session ids or names')
    .option('-f, --force', 'stop running sessions first (berth always does; accepted as docker\'s)')
    .addHelpText('after', '\nExamples:\n  $ berth rm dev\n  $ berth rm -f a b c\n  $ berth rm $(berth ps -q --filter label=job=ci)')
    .action(async (sessions: string[]) => {
      const c = await clientFor(g());
      await eachSession(sessions, async (s) => (await c.sessions.remove(s)).id);
    });

  program
    .command('prune')
    .description('delete the records of ended, failed and lost sessions (their containers are already gone)')
    .option('--until <when>', 'only those that ended before this: a duration back from now (24h, 7d) or a date')
    .addHelpText('after', '\nExamples:\n  $ berth prune\n  $ berth prune --until 24h')
    .action(async (o: { until?: string }) => {
      const until = sinceTime(o.until, '--until');
      const c = await clientFor(g());
      const r = await c.sessions.prune(until !== undefined ? { until: new Date(until).toISOString() } : {});
      out(r.removed.map((id) => `${id}\n`).join(''));
      process.stderr.write(`berth: ${r.removed.length} session record${r.removed.length === 1 ? '' : 's'} deleted\n`);
    });

  program
    .command('inspect')
    .description('a session as JSON, with its state changes and recent execs')
    .argument('<session>', 'session id or name')
    .option('--security', "the session's security score and every check instead")
    .option('--json', 'with --security: the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ berth inspect dev\n  $ berth inspect --security dev')
    .action(async (session: string, o: { security?: boolean; json?: boolean }) => {
      const c = await clientFor(g());
      if (o.security) {
        const r = await c.security.score(session);
        return void out(o.json ? `${JSON.stringify(r, null, 2)}\n` : securityText(r));
      }
      const s = await c.sessions.get(session);
      const [events, history] = await Promise.all([c.sessions.events(s.id), c.sessions.history(s.id)]);
      out(`${JSON.stringify({ ...s, events, history }, null, 2)}\n`);
    });
}
