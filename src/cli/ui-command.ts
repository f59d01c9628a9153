import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { defaultSocketPath } from '../common/paths.js';
import { clientFor, type GlobalOptions } from './client-factory.js';

interface UiFlags {
  port: string;
  open?: boolean;
  url?: string;
  token?: string;
}

function openBrowser(url: string): void {
  const cmd = process.env.BROWSER || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`berth: could not run ${cmd}; open the URL yourself\n`));
  child.unref();
}

/** A one-time login link from a daemon listening on TCP (its token authorises the request). */
async function tcpLoginUrl(base: string, token: string): Promise<string> {
  const res = await fetch(new URL('/v1/ui/login-codes', base), { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch((err: unknown) => {
    throw new BerthError('DaemonUnavailable', `no daemon answers at ${base}: ${(err as Error).message}`);
  });
  const body = (await res.json()) as { path?: string; code?: string; message?: string };
  if (!res.ok || !body.path) throw new BerthError(body.code === 'Unauthorized' ? 'Unauthorized' : 'Internal', body.message ?? `HTTP ${res.status}`);
  return new URL(body.path, base).href;
}

/** `berth ui`: the dashboard through a loopback port (unix-socket daemon) or a TCP daemon's own /ui/. */
export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description('open the web dashboard: prints a one-time login URL on a loopback port; ctrl-c closes it')
    .option('--port <n>', 'loopback port (default: any free one)', '0')
    .option('--open', 'open the URL in the browser ($BROWSER, else xdg-open)')
    .option('--url <http://host:port>', "a daemon's TCP listener instead of the unix socket (needs --token or BERTH_TOKEN)")
    .option('--token <token>', 'bearer token of the TCP listener (default BERTH_TOKEN)')
    .action(async (o: UiFlags) => {
      if (o.url) {
        const token = o.token ?? process.env.BERTH_TOKEN;
        if (!token) throw new BerthError('InvalidArgument', '--url needs --token or BERTH_TOKEN');
        const url = await tcpLoginUrl(o.url, token);
        process.stdout.write(`${url}\n`);
        if (o.open) openBrowser(url);
        return;
      }
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BerthError('InvalidArgument', `--port ${o.port} is not a port number (0-65535)`);
      const g = program.opts<GlobalOptions>();
      const client = await clientFor(g);
      await client.ping();
      const { startUiProxy } = await import('../ui/ui-proxy.js');
      const proxy = await startUiProxy({ socketPath: g.socket ?? process.env.BERTH_SOCKET ?? defaultSocketPath(), port });
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
