import Docker from 'dockerode';

/** Makes a dockerode client for an endpoint: a unix socket path or a `tcp://` / `http(s)://` URL. */
export function dockerodeFor(endpoint: string): Docker {
  if (endpoint.startsWith('/')) return new Docker({ socketPath: endpoint });
  const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return new Docker({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 2376 : 2375)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/** Where a dockerode client connects: its unix socket, or a host and port (over TLS or not). */
export type ModemAddress = { socketPath: string } | { host: string; port: number; tls: boolean };

export function modemAddress(docker: Docker): ModemAddress {
  const m = docker.modem as unknown as { socketPath?: string; host?: string; port?: number | string; protocol?: string };
  if (m.socketPath) return { socketPath: m.socketPath };
  return { host: m.host ?? 'localhost', port: Number(m.port ?? 2375), tls: m.protocol === 'https' };
}

/** The calls dockerode accepts an `abortSignal` for, which its type definitions omit. */
export interface SignalledCalls {
  ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
  version(o: { abortSignal: AbortSignal }): Promise<unknown>;
  info(o: { abortSignal: AbortSignal }): Promise<unknown>;
}

export function signalled(docker: Docker): SignalledCalls {
  return docker as unknown as SignalledCalls;
}
