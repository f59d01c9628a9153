import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../common/logger.js';
import type { AuditRepository } from '../store/audit-repository.js';
import { DEFAULT_AUDIT_LIMITS } from '../store/audit-limits.js';

/** Response header naming the error code of a failed request (set by the error handler, read by the audit). */
export const ERROR_CODE_HEADER = 'x-berth-error';

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuditHookOptions {
  audit: AuditRepository;
  /**
   * Who talks on the unix socket. Node cannot read the peer's credentials, but the socket
   * is mode 0600, so only its owner (or root) can connect: `uid:<owner>`.
   */
  unixActor: string;
  /** The bearer token of the TCP listener; recorded as `token:<first 12 hex of its sha256>`. */
  token?: string;
  /** Which listener this is: decides the actor (never guessed from a socket that may be gone). */
  listener: 'unix' | 'tcp';
  /** Refused (401) requests recorded per minute; the rest are counted in one row a minute. Default 60. */
  unauthenticatedPerMinute?: number;
  /** unix ms; default Date.now. */
  now?: () => number;
  log: Logger;
}

/** `address:port` of a TCP peer, read while the request is alive (undefined on a unix socket). */
export function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string | undefined {
  return socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
}

function targetOf(req: FastifyRequest): string {
  const params = req.params as Record<string, string> | undefined;
  if (params?.id) return params.id;
  if (params?.name) return params.name;
  const body = req.body as { name?: unknown } | undefined;
  return typeof body?.name === 'string' ? body.name : '';
}

/** One finished request or terminal, for the audit log; the actor comes from the listener. */
export interface AuditEvent {
  /** The TCP peer, taken when the request began (see `peerOf`); undefined on the unix socket. */
  peer: string | undefined;
  /** Unix ms when it began. */
  at: number;
  action: string;
  target: string;
  /** `ok`, or the error code. */
  result: string;
  status: number;
  requestId: string;
}

/**
 * Writes audit events: the actor is the unix socket's owner, the TCP token's id, or
 * `tcp:unauthenticated` for a 401 (at most `unauthenticatedPerMinute` rows a minute; the
 * rest become one `unauthenticated requests not recorded` row with their count). Fields
 * are cut by the repository. A failed append is logged, never thrown.
 */
export function auditWriter(o: AuditHookOptions): (e: AuditEvent) => void {
  const tokenActor = o.token ? `token:${createHash('sha256').update(o.token).digest('hex').slice(0, 12)}` : 'tcp';
  const now = o.now ?? Date.now;
  const perMinute = o.unauthenticatedPerMinute ?? DEFAULT_AUDIT_LIMITS.unauthenticatedPerMinute;
  let window = { start: 0, written: 0, dropped: 0 };
  const append = (row: Parameters<AuditRepository['append']>[0]) => {
    try {
      o.audit.append(row);
    } catch (err) {
      o.log.error({ err }, 'audit log append failed');
    }
  };
  /** True when this refused request gets a row of its own. */
  const admitRefused = (t: number): boolean => {
    if (t - window.start >= 60_000) {
      if (window.dropped > 0) {
        append({ at: t, actor: 'tcp:unauthenticated', action: 'unauthenticated requests not recorded', target: String(window.dropped), result: 'Unauthorized', status: 401, durationMs: 0, requestId: '' });
      }
      window = { start: t, written: 0, dropped: 0 };
    }
    if (window.written < perMinute) {
      window.written += 1;
      return true;
    }
    window.dropped += 1;
    return false;
  };
  return (e) => {
    const t = now();
    const refused = e.status === 401 && o.listener === 'tcp';
    if (refused && !admitRefused(t)) return;
    const actor = o.listener === 'unix' ? o.unixActor : refused ? 'tcp:unauthenticated' : tokenActor;
    append({ at: e.at, actor, ...(e.peer ? { peer: e.peer } : {}), action: e.action, target: e.target, result: e.result, status: e.status, durationMs: t - e.at, requestId: e.requestId });
  };
}

/**
 * Appends every state-changing request (method other than GET/HEAD/OPTIONS) to the audit
 * log when its response ends, streamed ones included: who, what, target, result, time.
 * (Shells and attach, which are WebSocket upgrades, are audited by the terminal routes.)
 */
export function registerAuditHook(app: FastifyInstance, write: (e: AuditEvent) => void): void {
  app.addHook('onRequest', async (req, reply) => {
    if (READ_ONLY.has(req.method)) return;
    const at = Date.now();
    const peer = peerOf(req.socket);
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      const code = reply.getHeader(ERROR_CODE_HEADER);
      write({
        peer,
        at,
        action: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
        target: targetOf(req),
        result: typeof code === 'string' ? code : status < 400 ? 'ok' : `http-${status}`,
        status,
        requestId: req.id,
      });
    });
  });
}
