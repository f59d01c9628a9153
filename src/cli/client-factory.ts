import type { BerthClient, BerthClientOptions } from '../client/client.js';
import { BerthError } from '../common/errors.js';

/** The global options every client command sees. */
export interface GlobalOptions {
  socket?: string;
  /** `http(s)://host:port` of a daemon on TCP (default `BERTH_URL`). */
  url?: string;
  /** File holding the TCP token (default `BERTH_TOKEN_FILE`; else `BERTH_TOKEN`). */
  tokenFile?: string;
  /** CA certificate (PEM file) for an https daemon (default `BERTH_TLS_CA`). */
  tlsCa?: string;
  /** Refused (see `refuseTokenInArgv`). */
  token?: string;
}

/** A token given in argv is refused, saying where to put it instead. */
export function refuseTokenInArgv(token: string | undefined): void {
  if (token === undefined) return;
  throw new BerthError(
    'InvalidArgument',
    '--token is refused: a token in the command line is visible to every local user (ps, /proc/PID/cmdline). Put it in a file only you can read and pass --token-file FILE, or set BERTH_TOKEN',
    { details: { problems: [{ path: '--token', message: 'use --token-file or BERTH_TOKEN' }] } },
  );
}

/** Where the CLI talks: the socket, or a TCP url with its token (file or env) and CA. */
export async function clientOptions(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<BerthClientOptions> {
  refuseTokenInArgv(opts.token);
  const url = opts.url ?? (opts.socket ? undefined : env.BERTH_URL || undefined);
  if (!url) return opts.socket ? { socketPath: opts.socket } : {};
  const { readFileSync } = await import('node:fs');
  const tokenFile = opts.tokenFile ?? env.BERTH_TOKEN_FILE;
  let token = env.BERTH_TOKEN || undefined;
  if (tokenFile) token = (await import('../daemon/token-file.js')).readTokenFile(tokenFile);
  const caFile = opts.tlsCa ?? env.BERTH_TLS_CA;
  return { url, ...(token ? { token } : {}), ...(caFile ? { ca: readFileSync(caFile) } : {}) };
}

/** Loads the client lazily, so `berth --version` and `berth help` import nothing heavy. */
export async function clientFor(opts: GlobalOptions): Promise<BerthClient> {
  const options = await clientOptions(opts);
  const { BerthClient } = await import('../client/client.js');
  return BerthClient.connect(options);
}
