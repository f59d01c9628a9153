import { processRoutes } from './routes/processes.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Berth } from '../berth.js';
import { BerthError } from '../common/errors.js';
import { randomId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import type { DaemonMetrics } from '../monitor/metrics.js';
import type { Trust } from '../security/trust.js';
import { requestTrust } from './request-trust.js';
import { auditWriter, registerAuditHook } from './audit-hook.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { securityRoutes } from './routes/security.js';
import { fileRoutes } from './routes/files.js';
import { imageRoutes } from './routes/images.js';
import { sessionRoutes } from './routes/sessions.js';
import { monitorRoutes } from './routes/monitor.js';
import { networkRoutes } from './routes/networks.js';
import { systemRoutes } from './routes/system.js';
import { terminalRoutes } from './routes/terminals.js';
import { volumeRoutes } from './routes/volumes.js';
import { workflowRoutes } from './routes/workflows.js';
import type { UiGate } from '../ui/ui-gate.js';
import { hasUiSession, uiRoutes } from '../ui/ui-routes.js';

export interface ApiServerOptions {
  berth: Berth;
  log: Logger;
  version: string;
  info: () => unknown;
  /** When set, every request needs `Authorization: Bearer <token>` (used for TCP). */
  token?: string;
  /** Max request body in bytes; default 64 MiB (exec stdin travels in the body). */
  bodyLimit?: number;
  /** Keep-alive ping interval of shell and attach WebSockets, ms; default 30000. */
  terminalPingMs?: number;
  /** Prometheus metrics (served at /metrics, fed by every request). */
  metrics?: DaemonMetrics;
  /** Health reports for `GET /v1/sessions/{id}/health`. */
  health?: HealthMonitor;
  /** Trust of every request on this listener (config `tcpTrust` for TCP); default `operator`. A client may lower its own with `x-berth-trust`. */
  trust?: Trust;
  /** Samples running sessions now, for `GET /v1/stats?fresh=true` (the sampler's `sampleNowWith`). */
  sampleNow?: () => Promise<void>;
  /** Who the unix socket's clients are in the audit log, e.g. `uid:0`; default `uid:<this process's uid>`. */
  unixActor?: string;
  /** The listener this server is for (the audit's actor); default `tcp` with a token, else `unix`. */
  listener?: 'unix' | 'tcp';
  /** Serve HTTPS with this PEM certificate and key (TCP). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Refused requests the audit log records per minute (see `auditWriter`). */
  unauthenticatedPerMinute?: number;
  /** The dashboard's login gate (TCP): a session cookie it issued stands in for the token. Absent: `/ui/` is served openly (unix socket). */
  uiGate?: UiGate;
  /** The built dashboard's directory; default `dist/web/`. */
  webDir?: string;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Builds the HTTP API (not listening yet). One per listener: the unix socket, and TCP when asked. */
export function createApiServer(o: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? 64 * 1024 * 1024,
    genReqId: () => randomId(4),
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  // First, so refused requests (a wrong token) are audited too.
  const audit = auditWriter({
    audit: o.berth.audit,
    unixActor: o.unixActor ?? `uid:${process.getuid?.() ?? 'unknown'}`,
    listener: o.listener ?? (o.token ? 'tcp' : 'unix'),
    ...(o.token ? { token: o.token } : {}),
    ...(o.unauthenticatedPerMinute !== undefined ? { unauthenticatedPerMinute: o.unauthenticatedPerMinute } : {}),
    log: o.log,
  });
  registerAuditHook(app, audit);
  uiRoutes(app, { ...(o.webDir ? { webDir: o.webDir } : {}), ...(o.uiGate ? { gate: o.uiGate } : {}) });
  if (o.token) {
    const token = o.token;
    app.addHook('onRequest', async (req) => {
      if (!hasUiSession(req) && !tokenMatches(req.headers.authorization, token)) {
        throw new BerthError('Unauthorized', 'missing or wrong bearer token; send Authorization: Bearer <token>');
      }
    });
  }
  const metrics = o.metrics;
  app.addHook('onResponse', async (req, reply) => {
    metrics?.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  systemRoutes(app, { version: o.version, info: o.info });
  const trustOf = requestTrust(o.trust);
  sessionRoutes(app, o.berth, trustOf);
  fileRoutes(app, o.berth, trustOf);
  processRoutes(app, o.berth);
  imageRoutes(app, o.berth);
  monitorRoutes(app, o.berth, o.metrics, o.health, o.sampleNow);
  networkRoutes(app, o.berth);
  securityRoutes(app, o.berth);
  volumeRoutes(app, () => o.berth.volumes);
  workflowRoutes(app, o.berth.workflows);
  const token = o.token;
  const gate = o.uiGate;
  const closeTerminals = terminalRoutes(app.server, {
    sessions: o.berth.sessions,
    log: o.log,
    audit,
    ...(token ? { authorize: (req: IncomingMessage) => tokenMatches(req.headers.authorization, token) || gate?.upgradeAllowed(req) === true } : {}),
    ...(o.terminalPingMs ? { pingMs: o.terminalPingMs } : {}),
  });
  // Upgraded sockets count as open connections: close them, or they hold the shutdown.
  app.addHook('preClose', async () => closeTerminals());
  return app;
}
