import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { DEFAULT_SHELL_CMD } from '../interactive/shell-stream.js';
import { assertShellOptions } from '../interactive/shell-options.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { runExecCommand } from './exec-command.js';
import { collect, keyValues } from './parse.js';
import { runTerminal } from './terminal.js';

const size = () => (process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {});

/** shell and attach: a person at a terminal, through the daemon. */
export function registerShellCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('shell')
    .description('an interactive shell in a session (/bin/bash, else /bin/sh); with stdin not a terminal, a pipe like `exec -i`')
    .argument('<session>', 'session id or name')
    .argument('[cmd...]', 'run this instead of the shell (after --)')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory (default the session\'s)')
    .option('-u, --user <user>', 'user')
    .option('--detach-keys <keys>', 'keys that detach and leave the shell running (default ctrl-p,ctrl-q; "" for none)')
    .option('--attach <shell>', 'go back to a shell the session agent keeps (see `berth proc ls`): its scrollback, then live')
    .addHelpText('after', '\nExamples:\n  $ berth shell dev\n  $ berth shell --detach-keys "" dev\n  $ berth shell --attach sh-1 dev\n  $ echo "ls /" | berth shell dev')
    .action(async (session: string, cmd: string[], o: { env?: string[]; workdir?: string; user?: string; detachKeys?: string; attach?: string }) => {
      const env = keyValues(o.env, '--env');
      const common = { ...(env ? { env } : {}), ...(o.workdir ? { workdir: o.workdir } : {}), ...(o.user ? { user: o.user } : {}) };
      if (o.detachKeys !== undefined) assertShellOptions({ detachKeys: o.detachKeys });
      const client = await clientFor(g());
      if (!process.stdin.isTTY && !o.attach) {
        const parts: Buffer[] = [];
        for await (const p of process.stdin) parts.push(p as Buffer);
        return runExecCommand(client, session, { cmd: cmd.length ? cmd : DEFAULT_SHELL_CMD, stdin: Buffer.concat(parts), ...common });
      }
      const shell = await client.sessions.openShell(session, {
        ...(cmd.length ? { cmd } : {}),
        ...size(),
        ...common,
        ...(o.detachKeys !== undefined ? { detachKeys: o.detachKeys } : {}),
        ...(o.attach ? { resume: o.attach } : {}),
      });
      await runTerminal(shell);
    });

  program
    .command('attach')
    .description("the terminal of a session's main process (a session created with a TTY); detach with ctrl-p ctrl-q")
    .argument('<session>', 'session id or name')
    .option('--detach-keys <keys>', 'keys that detach (default ctrl-p,ctrl-q; "" for none)')
    .addHelpText('after', '\nExample:\n  $ berth run -t --name box && berth attach box')
    .action(async (session: string, o: { detachKeys?: string }) => {
      if (!process.stdin.isTTY) {
        throw new BerthError('InvalidArgument', 'the input device is not a TTY: attach needs a terminal; to send input from a pipe use berth exec -i SESSION CMD', {
          details: { problems: [{ path: 'stdin', message: 'is not a terminal' }] },
        });
      }
      const client = await clientFor(g());
      const shell = await client.sessions.attach(session, { ...size(), ...(o.detachKeys !== undefined ? { detachKeys: o.detachKeys } : {}) });
      await runTerminal(shell);
    });
}
