import type { Command } from 'commander';
import { DEFAULT_SHELL_CMD } from '../interactive/shell-stream.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { runExecCommand } from './exec-command.js';
import { hasAgent, startDetached } from './proc-commands.js';
import { table } from './table.js';
import { securityText } from './security-commands.js';
import type { SecurityProfileName } from '../security/security-profile.js';
import { collect, keyValues, positiveNumber, secretValues, wholeNumber } from './parse.js';

const out = (s: string) => process.stdout.write(s);

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}


/** run, ps, exec, logs, stop, start, rm, inspect: each a thin call to the daemon. */
export function registerSessionCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('run')
    .description('create and start a session; prints its id')
    .option('--name <name>', 'session name (unique)')
    .option('--image <image>', 'image (default: the template\'s)')
    .option('--variant <variant>', "one of berth's base images instead of --image: ubuntu or alpine (built on first use)")
    .option('--template <name>', 'session template', undefined)
    .option('--memory <size>', 'memory limit, e.g. 512m')
    .option('--cpus <n>', 'CPU cores, e.g. 0.5')
    .option('--env <K=V>', 'environment variable (repeatable)', collect)
    .option('--secret-env <K[=V]>', 'secret environment variable, shown only as *** (repeatable); K alone takes its value from your environment, which keeps it out of ps', collect)
    .option('--env-from-host <pattern>', 'take your environment\'s variables matching this glob, e.g. \'DATABRICKS_*\', as secret env (repeatable)', collect)
    .option('--label <K=V>', 'label (repeatable)', collect)
    .option('--ttl <ms>', 'end the session after this many ms')
    .option('--idle-timeout <ms>', 'end the session after this many ms without exec')
    .option('--backend <backend>', "engine (a container) or local (a host directory, no isolation); default the daemon's")
    .option('-t, --tty', 'the main process is a shell on a TTY, for `berth attach`')
    .option('--security <profile>', 'standard (default) or strict (read-only root, no caps, non-root, no network)')
    .option('--network <policy>', 'none (default: only lo), isolated (a network of its own, no route out) or bridge (egress)')
    .option('--join <session>', "with --network isolated: join this session's isolated network")
    .option('--dns <ip>', 'extra DNS server (repeatable)', collect)
    .option('--alias <name>', 'with --network isolated: a name it answers to (repeatable; default the session name)', collect)
    .action(async (o: { name?: string; image?: string; variant?: string; template?: string; memory?: string; cpus?: string; env?: string[]; secretEnv?: string[]; envFromHost?: string[]; label?: string[]; ttl?: string; idleTimeout?: string; backend?: string; tty?: boolean; security?: string; network?: string; join?: string; dns?: string[]; alias?: string[] }) => {
      const env = keyValues(o.env, '--env');
      const secretEnv = secretValues(o.secretEnv, o.envFromHost);
      const labels = keyValues(o.label, '--label');
      const cpus = positiveNumber(o.cpus, '--cpus');
      const ttlMs = wholeNumber(o.ttl, '--ttl');
      const idleTimeoutMs = wholeNumber(o.idleTimeout, '--idle-timeout');
      const c = await clientFor(g());
      const s = await c.sessions.create({
        ...(o.name ? { name: o.name } : {}),
        ...(o.image ? { image: o.image } : {}),
        ...(o.variant ? { variant: o.variant as 'ubuntu' | 'alpine' } : {}),
        ...(o.template ? { template: o.template } : {}),
        ...(o.memory ? { memory: o.memory } : {}),
        ...(cpus !== undefined ? { cpus } : {}),
        ...(env ? { env } : {}),
        ...(secretEnv ? { secretEnv } : {}),
        ...(labels ? { labels } : {}),
        ...(ttlMs ? { ttlMs } : {}),
        ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
        ...(o.backend ? { backend: o.backend as 'engine' | 'local' } : {}),
        ...(o.tty ? { spec: { tty: true, openStdin: true, cmd: DEFAULT_SHELL_CMD } } : {}),
        ...(o.security ? { security: o.security as SecurityProfileName } : {}),
        ...(o.network || o.join || o.dns || o.alias
          ? {
              network: {
                policy: (o.network ?? (o.join ? 'isolated' : 'none')) as 'none',
                ...(o.join ? { join: o.join } : {}),
                ...(o.dns ? { dns: o.dns } : {}),
                ...(o.alias ? { aliases: o.alias } : {}),
              },
            }
          : {}),
      });
      out(`${s.id}\n`);
    });

  program
    .command('ps')
    .description('list sessions')
    .option('-a, --all', 'include ended, failed and lost sessions')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const c = await clientFor(g());
      const list = await c.sessions.list({ all: o.all ?? false });
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      const rows = [['ID', 'NAME', 'STATE', 'IMAGE', 'CREATED']];
      for (const s of list) rows.push([s.id, s.name, s.unreachable ? `${s.state} (unreachable: ${s.engine})` : s.state, s.spec.image, ago(s.createdAt)]);
      out(table(rows));
    });

  program
    .command('exec')
    .description('run a command in a session; streams its output and exits with its exit code')
    .argument('<session>', 'session id or name')
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .option('-i, --interactive', 'send this process\'s stdin to the command')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'user')
    .option('--timeout <ms>', 'kill the command after this many ms')
    .option('-d, --detach', 'start it in the background and print its handle: kept by the session agent (see `berth proc`), else a detached engine exec')
    .action(async (session: string, cmd: string[], o: { interactive?: boolean; env?: string[]; workdir?: string; user?: string; timeout?: string; detach?: boolean }) => {
      const env = keyValues(o.env, '--env');
      if (o.detach && (await hasAgent(await clientFor(g()), session))) {
        return startDetached(await clientFor(g()), session, cmd, {
          ...(env ? { env } : {}),
          ...(o.workdir ? { workdir: o.workdir } : {}),
          ...(o.user ? { user: o.user } : {}),
          ...(o.interactive ? { interactive: true } : {}),
        });
      }
      const timeoutMs = wholeNumber(o.timeout, '--timeout');
      let stdin: Buffer | undefined;
      if (o.interactive) {
        const parts: Buffer[] = [];
        for await (const p of process.stdin) parts.push(p as Buffer);
        stdin = Buffer.concat(parts);
      }
      await runExecCommand(await clientFor(g()), session, {
        cmd,
        ...(env ? { env } : {}),
        ...(o.workdir ? { workdir: o.workdir } : {}),
        ...(o.user ? { user: o.user } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
        ...(stdin ? { stdin } : {}),
        ...(o.detach ? { detach: true } : {}),
      });
    });

  program
    .command('logs')
    .description("a session's container logs (stdout to stdout, stderr to stderr)")
    .argument('<session>', 'session id or name')
    .option('-f, --follow', 'keep following')
    .option('--tail <n>', 'only the last N lines')
    .action(async (session: string, o: { follow?: boolean; tail?: string }) => {
      const tail = wholeNumber(o.tail, '--tail');
      const c = await clientFor(g());
      const logs = await c.sessions.logs(session, { follow: o.follow ?? false, ...(tail !== undefined ? { tail } : {}) });
      logs.stdout.pipe(process.stdout);
      logs.stderr.pipe(process.stderr);
      await Promise.all([new Promise((r) => logs.stdout.on('end', r)), new Promise((r) => logs.stderr.on('end', r))]);
    });

  const simple = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .argument('<session>', 'session id or name');

  simple('stop', 'stop a session (its container stops; the session can be started again)')
    .option('-t, --time <seconds>', 'grace period before SIGKILL', '10')
    .action(async (session: string, o: { time: string }) => {
      const graceSeconds = wholeNumber(o.time, '--time');
      const c = await clientFor(g());
      out(`${(await c.sessions.stop(session, graceSeconds !== undefined ? { graceSeconds } : {})).id}\n`);
    });
  simple('start', 'start a stopped session').action(async (session: string) => {
    const c = await clientFor(g());
    out(`${(await c.sessions.start(session)).id}\n`);
  });
  simple('rm', 'end a session: stop and remove its container (the record stays)').action(async (session: string) => {
    const c = await clientFor(g());
    out(`${(await c.sessions.remove(session)).id}\n`);
  });
  simple('inspect', 'a session as JSON, with its state changes and recent execs')
    .option('--security', "the session's security score and every check instead")
    .option('--json', 'with --security: the report as JSON')
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
