import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BerthError, invalidArgument } from '../../common/errors.js';
import { assertAttachOptions, assertShellOptions } from '../../interactive/shell-options.js';
import { randomId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import { peerOf, type AuditEvent } from '../audit-hook.js';
import type { ShellStream } from '../../interactive/shell-stream.js';
import type { SessionsApi } from '../../session/sessions-api.js';
import { CLOSE_ERROR, closeCodeFor, shellOptionsFromQuery, type ControlMessage } from '../terminal-protocol.js';

export interface TerminalRoutesOptions {
  sessions: SessionsApi;
  log: Logger;
  /** Checks the request's credentials (TCP: the bearer token, or a dashboard session); undefined: no check. */
  authorize?: (req: IncomingMessage) => boolean;
  /** Keep-alive ping interval, ms (default 30000). A peer that misses two pongs is dropped; an idle one never is. */
  pingMs?: number;
  /** Told of every terminal when it closes (result `ok`), and of every refused one (its error code). */
  audit?: (e: AuditEvent) => void;
}

/** Writes an error as a plain HTTP response on a socket that asked to upgrade, and closes it. */
function refuse(socket: Duplex, err: unknown): void {
  const e = BerthError.from(err);
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${e.httpStatus} ${e.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Couples a WebSocket and a shell: binary frames are terminal bytes, text frames JSON control. */
function bridge(ws: WebSocket, shell: ShellStream, pingMs: number, log: Logger): void {
  let missed = 0;
  const ping = setInterval(() => {
    if (missed >= 2) return ws.terminate();
    missed += 1;
    ws.ping();
  }, pingMs);
  ws.on('pong', () => (missed = 0));
  shell.on('data', (d: Buffer) => {
    ws.send(d, { binary: true });
    if (ws.bufferedAmount > 4 * 1024 * 1024) {
      shell.pause();
      ws.send(Buffer.alloc(0), { binary: true }, () => shell.resume());
    }
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return void shell.write(data);
    try {
      const m = JSON.parse(data.toString()) as ControlMessage;
      const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1000;
      if (m.type === 'resize' && ok(m.cols) && ok(m.rows)) void shell.resize(m.cols, m.rows).catch((err: unknown) => log.debug({ err }, 'resize failed'));
    } catch {
      // not ours: ignored
    }
  });
  ws.on('close', () => {
    clearInterval(ping);
    shell.end();
  });
  ws.on('error', () => undefined);
  const drained = new Promise<void>((resolve) => (shell.readableEnded ? resolve() : shell.once('end', resolve)));
  // The exit frame goes after the last output: the stream may still hold some when exit resolves.
  void Promise.all([shell.exit, drained]).then(
    ([e]) => {
      clearInterval(ping);
      ws.send(JSON.stringify({ type: 'exit', ...e }));
      ws.close(closeCodeFor(e));
    },
    (err: unknown) => {
      const be = BerthError.from(err);
      ws.send(JSON.stringify({ type: 'error', error: be.toJSON() }));
      ws.close(CLOSE_ERROR, be.code);
    },
  );
}

/**
 * `GET /v1/sessions/{id}/shell` and `/attach` as WebSockets (see terminal-protocol.ts).
 * Everything that can be checked is checked before the upgrade (bad requests get
 * `{ code, message, details }` with the HTTP status from the one table); the shell is
 * opened after it, so a failed handshake never leaves one behind. Returns a function that
 * closes every open terminal (for the server's shutdown).
 */
export function terminalRoutes(server: Server, o: TerminalRoutesOptions): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const at = Date.now();
    const requestId = randomId(4);
    const url = URL.canParse(req.url ?? '/', 'http://berth') ? new URL(req.url ?? '/', 'http://berth') : new URL('/', 'http://berth');
    const m = /^\/v1\/sessions\/([^/]+)\/(shell|attach)$/.exec(url.pathname);
    const peer = peerOf(req.socket);
    const audit = (result: string, status: number) =>
      o.audit?.({ peer, at, action: m ? `WS /v1/sessions/:id/${m[2]}` : `WS ${url.pathname}`, target: m?.[1] ?? '', result, status, requestId });
    void (async () => {
      if (!m) throw new BerthError('NotFound', `no WebSocket route ${url.pathname}; use /v1/sessions/{id}/shell or /attach`);
      if (o.authorize && !o.authorize(req)) throw new BerthError('Unauthorized', 'missing or wrong bearer token; send Authorization: Bearer <token>');
      let id: string;
      try {
        id = decodeURIComponent(m[1]!);
      } catch {
        throw invalidArgument([{ path: 'session', message: 'is not a valid URL path segment' }], 'shell request');
      }
      const q = shellOptionsFromQuery(url.searchParams);
      const attach = m[2] === 'attach';
      const opts = attach ? assertAttachOptions({ ...(q.cols ? { cols: q.cols } : {}), ...(q.rows ? { rows: q.rows } : {}), ...(q.detachKeys !== undefined ? { detachKeys: q.detachKeys } : {}) }) : assertShellOptions(q);
      const s = await o.sessions.get(id);
      if (s.state !== 'running') throw new BerthError('Conflict', `session ${s.name} is ${s.state}, not running`, { details: { state: s.state } });
      if (attach && (s.backend === 'local' || !s.spec.tty)) throw new BerthError('Conflict', `session ${s.name} has no TTY main process to attach to; open a shell`);
      wss.handleUpgrade(req, socket, head, (ws) => {
        // Input sent before the shell is open is kept and replayed, not lost.
        const early: Array<[Buffer, boolean]> = [];
        const keep = (data: Buffer, isBinary: boolean) => void early.push([data, isBinary]);
        ws.on('message', keep);
        const opened = attach ? o.sessions.attach(id, opts) : o.sessions.openShell(id, opts);
        opened.then(
          (shell) => {
            ws.off('message', keep);
            ws.once('close', () => audit('ok', 101));
            if (ws.readyState !== ws.OPEN) return void shell.end();
            bridge(ws, shell, o.pingMs ?? 30_000, o.log);
            ws.send(JSON.stringify({ type: 'ready' }));
            for (const [data, isBinary] of early) ws.emit('message', data, isBinary);
          },
          (err: unknown) => {
            const e = BerthError.from(err);
            audit(e.code, e.httpStatus);
            ws.send(JSON.stringify({ type: 'error', error: e.toJSON() }));
            ws.close(CLOSE_ERROR, e.code);
          },
        );
      });
    })().catch((err: unknown) => {
      const e = BerthError.from(err);
      audit(e.code, e.httpStatus);
      refuse(socket, e);
    });
  });
  return () => {
    for (const ws of wss.clients) ws.close(1001, 'the daemon is shutting down');
  };
}
