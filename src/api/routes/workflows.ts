import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WorkflowsApi } from '../../workflow/workflow-run.js';
import { BerthError } from '../../common/errors.js';
import { parse } from '../parse.js';

const listQuery = z.strictObject({ limit: z.coerce.number().int().positive().max(10_000).optional() });

/**
 * Workflow runs: start (the YAML text + base dir), list, get, cancel, and progress as
 * NDJSON (`GET /v1/workflows/runs/:id/progress`: one run snapshot a line, now and after
 * every change, until the run has finished).
 */
export function workflowRoutes(app: FastifyInstance, workflows: WorkflowsApi): void {
  app.post('/v1/workflows/runs', async (req, reply) => reply.status(201).send(await workflows.start((req.body ?? {}) as never)));

  app.get('/v1/workflows/runs', async (req) => {
    const q = parse(listQuery, req.query, 'query');
    return workflows.list(q.limit ? { limit: q.limit } : {});
  });

  app.get<{ Params: { id: string } }>('/v1/workflows/runs/:id', async (req) => workflows.get(req.params.id));
  app.post<{ Params: { id: string } }>('/v1/workflows/runs/:id/cancel', async (req) => workflows.cancel(req.params.id));

  // Open progress streams end when the server closes (they would hold its shutdown).
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
  app.get<{ Params: { id: string } }>('/v1/workflows/runs/:id/progress', async (req, reply) => {
    await workflows.get(req.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    streams.add(res);
    try {
      await workflows.watch(req.params.id, (run) => {
        if (!res.destroyed) res.write(`${JSON.stringify(run)}\n`);
      });
    } catch (err) {
      if (!res.destroyed) res.write(`${JSON.stringify({ streamError: BerthError.from(err).toJSON() })}\n`);
    } finally {
      streams.delete(res);
      res.end();
    }
  });
}
