import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { BerthError } from '../common/errors.js';
import { CSRF_HEADER, UiGate } from './ui-gate.js';

export interface UiProxyOptions {
  /** The daemon's unix socket. */
  socketPath: string;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (any free one). */
  port?: number;
}

export interface UiProxy {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  gate: UiGate;
  /** A fresh one-time login URL. */
  loginUrl(): string;
  close(): Promise<void>;
}

/** Request headers the daemon must not see: the dashboard's own credentials, hop-by-hop ones. */
function forwardHeaders(req: IncomingMessage, gate: UiGate): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === CSRF_HEADER || k === 'authorization') continue;
    if (k === 'cookie') {
      const rest = String(v).split(';').filter((p) => p.trim().split('=')[0] !== gate.cookieName).join(';').trim();
      if (rest) out[k] = rest;
      continue;
    }
    out[k] = v;
  }
  return out;
}

function refuse(socket: Duplex, e: BerthError): void {
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${e.httpStatus} ${e.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * `berth ui` for a unix-socket daemon: a loopback HTTP server whose gate turns a one-time
 * link into a session cookie, then relays requests (streams and terminal WebSockets
 * included) to the daemon's socket, where the operator's rights apply.
 */
export async function startUiProxy(o: UiProxyOptions): Promise<UiProxy> {
  const host = o.host ?? '127.0.0.1';
  let gate = new UiGate();
  const server = createServer((req, res) => {
    void gate.handle(req, res).then(
      (r) => {
        if (r === 'answered') return;
        if (r === 'none') {
          const e = new BerthError('Unauthorized', 'log in to the dashboard first: open the link `berth ui` printed');
          res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'x-berth-error': e.code });
          return void res.end(JSON.stringify(e.toJSON()));
        }
        const up = request({ socketPath: o.socketPath, method: req.method, path: req.url, headers: forwardHeaders(req, gate) }, (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        });
        up.on('error', (err) => {
          const e = new BerthError('DaemonUnavailable', `the daemon at ${o.socketPath} did not answer: ${err.message}`);
          if (!res.headersSent) res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'x-berth-error': e.code });
          res.end(JSON.stringify(e.toJSON()));
        });
        res.on('close', () => up.destroy());
        req.pipe(up);
      },
      (err: unknown) => {
        const e = BerthError.from(err);
        if (!res.headersSent) res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'x-berth-error': e.code });
        res.end(JSON.stringify(e.toJSON()));
      },
    );
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (!gate.upgradeAllowed(req)) return refuse(socket, new BerthError('Unauthorized', 'log in to the dashboard first (and open it from its own origin)'));
    const up = connect(o.socketPath);
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
    up.on('connect', () => {
      const headers = forwardHeaders(req, gate);
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new BerthError('Conflict', `port ${o.port ?? 0} on ${host} is in use; pick another with --port, or 0 for any free one`) : err),
    );
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  gate = new UiGate({ cookieName: `berth_ui_${port}` });
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    origin,
    gate,
    loginUrl: () => `${origin}/ui/login?code=${gate.issueCode()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
        server.close(() => resolve());
      }),
  };
}
