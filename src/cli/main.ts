import { Command, CommanderError } from 'commander';
import { BerthError, EXIT_STATUS } from '../common/errors.js';
import { VERSION } from '../common/version.js';
import { clientFor, refuseTokenInArgv, type GlobalOptions } from './client-factory.js';
import { fail } from './fail.js';
import { registerFileCommands } from './file-commands.js';
import { registerSessionCommands } from './session-commands.js';
import { registerRunCommand } from './run-command.js';
import { exitQuietlyOnClosedPipe } from './epipe.js';
import { addExamples } from './examples.js';
import { registerShellCommands } from './shell-commands.js';
import { registerProcCommands } from './proc-commands.js';
import { registerMonitorCommands } from './monitor-commands.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerSecurityCommands } from './security-commands.js';
import { registerVolumeCommands } from './volume-commands.js';
import { registerImageCommands } from './image-commands.js';
import { registerWorkflowCommands } from './workflow-commands.js';
import { registerUiCommand } from './ui-command.js';


const program = new Command()
  .name('berth')
  .description('Sandboxed containers on Docker or Podman')
  .version(VERSION)
  .option('--socket <path>', "the daemon's socket (default BERTH_SOCKET, /run/berth/berth.sock as root)")
  .option('--url <url>', "a daemon on TCP instead of the socket: http(s)://host:port (BERTH_URL)")
  .option('--token-file <file>', 'file (mode 0600) holding the TCP bearer token (BERTH_TOKEN_FILE; or BERTH_TOKEN)')
  .option('--tls-ca <file>', "CA certificate (PEM) that signed the daemon's TLS certificate (BERTH_TLS_CA)")
  .option('--token <token>', 'refused: a token in argv is visible to every local user; use --token-file or BERTH_TOKEN')
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('daemon')
  .description('run the berth daemon in the foreground (HTTP API on a unix socket)')
  .option('--engine <kind>', 'auto, docker or podman (BERTH_ENGINE)')
  .option('--engine-socket <path>', 'engine socket (BERTH_ENGINE_HOST; default: detected)')
  .option('--backend <backend>', "sessions' default backend: engine or local (BERTH_BACKEND; default engine)")
  .option('--fallback <mode>', 'local: with no engine, run sessions on the local backend (BERTH_FALLBACK; default none)')
  .option('--data-dir <dir>', 'database and state (BERTH_DATA_DIR; /var/lib/berth as root)')
  .option('--config <file>', 'JSON config file (BERTH_CONFIG; default <data-dir>/config.json)')
  .option('--socket-group <group>', 'members of this group may use the socket (directory 0750, socket 0660); default none (0700, 0600)')
  .option('--tcp <host:port>', 'also listen on TCP (needs a token: --token-file or BERTH_TOKEN); plain TCP only on loopback')
  .option('--token-file <file>', 'file (mode 0600) holding the bearer token for TCP (BERTH_TOKEN_FILE)')
  .option('--token <token>', 'refused: a token in argv is visible to every local user; use --token-file or BERTH_TOKEN')
  .option('--tls-cert <file>', 'PEM certificate for HTTPS on --tcp (BERTH_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key (mode 0600) for HTTPS on --tcp (BERTH_TLS_KEY)')
  .option('--insecure-tcp', 'allow plain HTTP on a non-loopback --tcp address (token and data in clear)')
  .option('--log-level <level>', 'fatal … trace (BERTH_LOG_LEVEL; default info)')
  .action(async (o: { engine?: string; engineSocket?: string; backend?: string; fallback?: string; dataDir?: string; config?: string; socketGroup?: string; tcp?: string; tokenFile?: string; token?: string; tlsCert?: string; tlsKey?: string; insecureTcp?: boolean; logLevel?: string }) => {
    const { token, ...flags } = o;
    const global = program.opts<GlobalOptions>();
    refuseTokenInArgv(token ?? global.token);
    const { runDaemon } = await import('./daemon-command.js');
    // Commander gives an option both levels define (--token-file) to the program: take it from there too.
    const tokenFile = flags.tokenFile ?? global.tokenFile;
    await runDaemon({ ...flags, ...(global.socket ? { socket: global.socket } : {}), ...(tokenFile ? { tokenFile } : {}) } as never);
  });

program
  .command('ping')
  .description('check that the daemon answers')
  .action(async () => {
    const c = await clientFor(program.opts<GlobalOptions>());
    await c.ping();
    process.stdout.write('ok\n');
  });

program
  .command('info')
  .description("the daemon's configuration, engine and sessions (or, with no daemon, the detected engine)")
  .option('--engine <kind>', 'with no daemon: auto, docker or podman', process.env.BERTH_ENGINE ?? 'auto')
  .option('--json', 'print JSON')
  .action(async (opts: { engine: string; json?: boolean }) => {
    const c = await clientFor(program.opts<GlobalOptions>());
    let info: Record<string, unknown>;
    try {
      info = { daemon: 'running', ...(await c.info()) };
    } catch (err) {
      if (!BerthError.is(err, 'DaemonUnavailable')) throw err;
      const { Berth } = await import('../berth.js');
      const berth = await Berth.connect({ engine: opts.engine as 'auto' });
      info = { daemon: `not running (${c.endpoint.socketPath ?? c.endpoint.url})`, engine: berth.engine };
      await berth.close();
    }
    if (opts.json) return void process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    const e = info.engine as { kind: string; version: string; apiVersion: string; cgroupVersion: string; socketPath: string; source: string } | null;
    const lines = [`daemon: ${String(info.daemon)}${info.pid ? ` (pid ${String(info.pid)}, version ${String(info.version)})` : ''}`];
    if (info.socket) lines.push(`socket: ${String(info.socket)}`, `data dir: ${String(info.dataDir)}`, `instance: ${String(info.instance)}`);
    lines.push(e ? `engine: ${e.kind} ${e.version} (API ${e.apiVersion}, cgroup v${e.cgroupVersion}) at ${e.socketPath} (found via ${e.source})` : 'engine: none');
    if (info.backend) lines.push(`backend: ${String(info.backend)} (fallback ${String(info.fallback)}; local sandboxes in ${String(info.localRoot)})`);
    if (info.sessions) {
      const counts = Object.entries(info.sessions as Record<string, number>).map(([state, n]) => `${n} ${state}`);
      lines.push(`sessions: ${counts.join(', ') || 'none'}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });

program
  .command('mcp')
  .description('a Model Context Protocol server on stdio: serves the daemon, or berth in-process when no daemon answers')
  .option('--engine <kind>', 'with no daemon: auto, docker or podman', process.env.BERTH_ENGINE ?? 'auto')
  .action(async (o: { engine: string }) => {
    const { runMcp } = await import('./mcp-command.js');
    await runMcp({ ...o, global: program.opts<GlobalOptions>() });
  });

registerRunCommand(program);
registerSessionCommands(program);
registerFileCommands(program);
registerShellCommands(program);
registerProcCommands(program);
registerMonitorCommands(program);
registerNetworkCommands(program);
registerSecurityCommands(program);
registerVolumeCommands(program);
registerImageCommands(program);
registerWorkflowCommands(program);
registerUiCommand(program);

program
  .command('version')
  .description("berth's version (and the daemon's, when one answers)")
  .action(async () => {
    process.stdout.write(`berth ${VERSION}\n`);
    const c = await clientFor(program.opts<GlobalOptions>());
    const info = (await c.info().catch(() => undefined)) as { version?: string } | undefined;
    if (info?.version) process.stdout.write(`daemon ${info.version}\n`);
  });

program
  .command('completion')
  .description('print a shell completion script: bash or zsh')
  .argument('<shell>', 'bash or zsh')
  .action(async (shell: string) => {
    if (shell !== 'bash' && shell !== 'zsh') {
      throw new BerthError('InvalidArgument', `completion: "${shell}" is not bash or zsh`, { details: { problems: [{ path: 'shell', message: 'must be bash or zsh' }] } });
    }
    const { bashCompletion, zshCompletion } = await import('./completion.js');
    process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
  });

addExamples(program);

/** Runs the CLI (bin/berth.cjs calls this); exits the process when the command is done. */
export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  try {
    await program.parseAsync(argv);
    // Every command (the daemon too, after its shutdown) is done: don't linger on idle keep-alive sockets.
    process.exit();
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_STATUS.InvalidArgument);
    fail(err);
  }
}
