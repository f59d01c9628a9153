import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { labelsFrom, parse } from '../parse.js';

const listQuery = z.object({ label: z.union([z.string(), z.array(z.string())]).optional() });

/** `/v1/networks`: this instance's networks (bodies are validated by the NetworkManager). */
export function networkRoutes(app: FastifyInstance, berth: Berth): void {
  app.post('/v1/networks', async (req, reply) => reply.status(201).send(await berth.networks.create((req.body ?? {}) as never)));
  app.get('/v1/networks', async (req) => {
    const labels = labelsFrom(parse(listQuery, req.query, 'query').label);
    return berth.networks.list(labels ? { labels } : {});
  });
  app.post('/v1/networks/prune', async () => berth.networks.prune());
  app.get<{ Params: { id: string } }>('/v1/networks/:id', async (req) => berth.networks.inspect(req.params.id));
  app.delete<{ Params: { id: string } }>('/v1/networks/:id', async (req) => berth.networks.remove(req.params.id));
  app.post<{ Params: { id: string } }>('/v1/networks/:id/connect', async (req) => berth.networks.connect(req.params.id, (req.body ?? {}) as never));
  app.post<{ Params: { id: string } }>('/v1/networks/:id/disconnect', async (req) => berth.networks.disconnect(req.params.id, (req.body ?? {}) as never));
}
