import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../common/logger.js';
import type { AuditRepository } from '../store/audit-repository.js';

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
  log: Logger;
}

function targetOf(req: FastifyRequest): string {
  const params = req.params as Record<string, string> | undefined;
  if (params?.id) return params.id;
  if (params?.name) return params.name;
  const body = req.body as { name?: unknown } | undefined;
  return typeof body?.name === 'string' ? body.name : '';
}

/** One finished request or terminal, for the audit log; the actor comes from its socket. */
export interface AuditEvent {
  /** The client's socket: no remote address on the unix socket. */
  socket: { remoteAddress?: string | undefined };
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
 * `tcp:unauthenticated` for a 401. A failed append is logged, never thrown.
 */
export function auditWriter(o: AuditHookOptions): (e: AuditEvent) => void {
  const tokenActor = o.token ? `token:${createHash('sha256').update(o.token).digest('hex').slice(0, 12)}` : 'tcp';
  return (e) => {
    const actor = e.status === 401 ? 'tcp:unauthenticated' : e.socket.remoteAddress === undefined ? o.unixActor : tokenActor;
    try {
      o.audit.append({ at: e.at, actor, action: e.action, target: e.target, result: e.result, status: e.status, durationMs: Date.now() - e.at, requestId: e.requestId });
    } catch (err) {
      o.log.error({ err }, 'audit log append failed');
    }
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
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      const code = reply.getHeader(ERROR_CODE_HEADER);
      write({
        socket: req.socket,
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
