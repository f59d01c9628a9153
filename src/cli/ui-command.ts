import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { defaultSocketPath } from '../common/paths.js';
import { clientFor, type GlobalOptions } from './client-factory.js';

interface UiFlags {
  port: string;
  open?: boolean;
}

function openBrowser(url: string): void {
  const cmd = process.env.BROWSER || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`berth: could not run ${cmd}; open the URL yourself\n`));
  child.unref();
}

/**
 * `berth ui`: the dashboard. On the unix socket, through a loopback port of its own (until
 * ctrl-c); with `--url` (a TCP daemon, its token from --token-file or BERTH_TOKEN), a
 * one-time link to that daemon's own /ui/.
 */
export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description("open the web dashboard: prints a one-time login URL on a loopback port (ctrl-c closes it); with --url, a link to that daemon's /ui/")
    .option('--port <n>', 'loopback port (default: any free one)', '0')
    .option('--open', 'open the URL in the browser ($BROWSER, else xdg-open)')
    .action(async (o: UiFlags) => {
      const g = program.opts<GlobalOptions>();
      const client = await clientFor(g);
      const ep = client.endpoint;
      if (ep.url) {
        const { call } = await import('../client/http.js');
        const r = await call<{ path: string }>(ep, 'POST', '/v1/ui/login-codes');
        const url = new URL(r.path, ep.url).href;
        process.stdout.write(`${url}\n`);
        if (o.open) openBrowser(url);
        return;
      }
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BerthError('InvalidArgument', `--port ${o.port} is not a port number (0-65535)`);
      await client.ping();
      const { startUiProxy } = await import('../ui/ui-proxy.js');
      const proxy = await startUiProxy({ socketPath: ep.socketPath ?? defaultSocketPath(), port });
      const url = proxy.loginUrl();
      process.stdout.write(`berth dashboard: ${url}\n(the link logs in once; ctrl-c closes the dashboard)\n`);
      if (o.open) openBrowser(url);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await proxy.close();
    });
}
