import type { Command } from 'commander';
import type { BerthClient } from '../client/client.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { wholeNumber } from './parse.js';
import { table } from './table.js';

const out = (s: string) => process.stdout.write(s);

/** True when the session's execs go through its agent now (`execPath`). */
export async function hasAgent(client: BerthClient, session: string): Promise<boolean> {
  return (await client.sessions.get(session)).execPath?.path === 'agent';
}

/** `berth exec -d`: starts the command kept by the agent and prints its handle. */
export async function startDetached(
  client: BerthClient,
  session: string,
  cmd: string[],
  o: { interactive?: boolean; env?: Record<string, string>; workdir?: string; user?: string },
): Promise<void> {
  const p = await client.processes.start(session, {
    cmd,
    ...(o.env ? { env: o.env } : {}),
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user ? { user: o.user } : {}),
    ...(o.interactive ? { stdin: true } : {}),
  });
  if (!p.running) {
    process.stderr.write(`berth: ${p.cmd}: could not start (exit ${p.exitCode})\n`);
    process.exitCode = p.exitCode ?? 1;
    return;
  }
  out(`${p.id}\n`);
}

/** `berth proc ls|wait|kill|attach|input`: processes kept by a session's agent. */
export function registerProcCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const proc = program.command('proc').description('background processes kept by a session agent (start them with `berth exec -d`)');

  proc
    .command('ls')
    .description("a session's background processes, running or ended and not yet waited for")
    .argument('<session>', 'session id or name')
    .option('--json', 'JSON')
    .action(async (session: string, o: { json?: boolean }) => {
      const list = await (await clientFor(g())).processes.list(session);
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      out(table([['ID', 'PID', 'STATE', 'COMMAND'], ...list.map((p) => [p.id, String(p.pid), p.running ? 'running' : `exited (${p.exitCode})`, `${p.terminal ? '[shell] ' : ''}${p.cmd}`])]));
    });

  proc
    .command('wait')
    .description('waits until the process ends and exits with its exit code (then forgets it)')
    .argument('<session>', 'session id or name')
    .argument('<id>', 'process handle (p123)')
    .option('--timeout <ms>', 'give up after this many ms (exit 124)')
    .action(async (session: string, id: string, o: { timeout?: string }) => {
      const timeoutMs = wholeNumber(o.timeout, '--timeout');
      const p = await (await clientFor(g())).processes.wait(session, id, timeoutMs ? { timeoutMs } : {});
      process.exitCode = p.exitCode ?? 1;
    });

  proc
    .command('kill')
    .description("signals the process's group (default TERM)")
    .argument('<session>', 'session id or name')
    .argument('<id>', 'process handle (p123)')
    .option('-s, --signal <signal>', 'signal name or number', 'TERM')
    .action(async (session: string, id: string, o: { signal: string }) => {
      await (await clientFor(g())).processes.signal(session, id, o.signal);
    });

  proc
    .command('input')
    .description("sends this process's stdin to the background process (started with `exec -d -i`)")
    .argument('<session>', 'session id or name')
    .argument('<id>', 'process handle (p123)')
    .option('--eof', 'close its stdin afterwards')
    .action(async (session: string, id: string, o: { eof?: boolean }) => {
      const parts: Buffer[] = [];
      if (!process.stdin.isTTY) for await (const p of process.stdin) parts.push(p as Buffer);
      await (await clientFor(g())).processes.input(session, id, Buffer.concat(parts), { eof: o.eof ?? false });
    });

  proc
    .command('attach')
    .description('what it wrote meanwhile (the last 1 MiB), then its live output until it ends; exits with its code (ctrl-C leaves it running)')
    .argument('<session>', 'session id or name')
    .argument('<id>', 'process handle (p123)')
    .action(async (session: string, id: string) => {
      const o = await (await clientFor(g())).processes.output(session, id);
      process.once('SIGINT', () => {
        o.close();
        process.exit(130);
      });
      o.stdout.pipe(process.stdout);
      o.stderr.pipe(process.stderr);
      const p = await o.exit;
      process.exitCode = p.exitCode ?? 1;
    });
}
