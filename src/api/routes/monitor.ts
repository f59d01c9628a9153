import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { BerthError } from '../../common/errors.js';
import type { HealthMonitor } from '../../health/health-monitor.js';
import type { DaemonMetrics } from '../../monitor/metrics.js';
import { parse, truthy } from '../parse.js';

const statsQuery = z.strictObject({ session: z.string().min(1).optional(), fresh: z.enum(['true', 'false', '1', '0']).optional() });
const historyQuery = z.strictObject({ sinceMs: z.coerce.number().int().min(0).optional(), rollups: z.enum(['true', 'false', '1', '0']).optional() });
const alertsQuery = z.strictObject({ state: z.enum(['firing', 'resolved']).optional(), session: z.string().min(1).optional(), limit: z.coerce.number().int().positive().max(10_000).optional() });
const eventsQuery = z.strictObject({ session: z.string().min(1).optional() });

/** Newest samples, a session's history, alerts, the event stream (SSE) and Prometheus metrics. */
export function monitorRoutes(app: FastifyInstance, berth: Berth, metrics: DaemonMetrics | undefined, health: HealthMonitor | undefined, sampleNow?: () => Promise<void>): void {
  app.get<{ Params: { id: string } }>('/v1/sessions/:id/health', async (req) => {
    const s = await berth.sessions.get(req.params.id);
    if (!health) throw new BerthError('Conflict', 'health checks need an engine; this daemon runs without one');
    return health.report(s);
  });

  app.get('/v1/stats', async (req) => {
    const q = parse(statsQuery, req.query, 'query');
    const id = q.session ? (await berth.sessions.get(q.session)).id : undefined;
    if (sampleNow && truthy(q.fresh)) await sampleNow();
    return berth.monitor.latest(id);
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/stats', async (req) => {
    const q = parse(historyQuery, req.query, 'query');
    const s = await berth.sessions.get(req.params.id);
    const since = q.sinceMs ?? Date.now() - 3_600_000;
    return q.rollups === 'true' || q.rollups === '1' ? berth.monitor.rollups(s.id, since) : berth.monitor.samples(s.id, since);
  });

  app.get('/v1/alerts', async (req) => {
    const q = parse(alertsQuery, req.query, 'query');
    const id = q.session ? (await berth.sessions.get(q.session)).id : undefined;
    return berth.monitor.alerts({ ...(q.state ? { state: q.state } : {}), ...(id ? { sessionId: id } : {}), ...(q.limit ? { limit: q.limit } : {}) });
  });

  // Server-sent events: one `event: <type>` / `data: <json>` pair per event, a comment every 15 s.
  // Open streams are ended when the server closes, or they would hold its shutdown.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
  app.get('/v1/events', async (req, reply) => {
    const q = parse(eventsQuery, req.query, 'query');
    const id = q.session ? (await berth.sessions.get(q.session)).id : undefined;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': berth events\n\n');
    streams.add(res);
    const off = berth.events.subscribe((e) => {
      if (!id || e.sessionId === id) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.once('close', () => {
      clearInterval(beat);
      off();
      streams.delete(res);
    });
  });

  app.get('/metrics', async (_req, reply) => {
    if (!metrics) return reply.status(404).send({ code: 'NotFound', message: 'metrics are not enabled in this server' });
    return reply.type(metrics.contentType).send(await metrics.text());
  });
}
