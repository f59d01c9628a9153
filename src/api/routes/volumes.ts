import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { VolumesApi } from '../../volume/volumes-api.js';
import { parse } from '../parse.js';
import { labelsFrom } from '../parse.js';

const listQuery = z.object({
  kind: z.string().optional(),
  session: z.string().optional(),
  label: z.union([z.string(), z.array(z.string())]).optional(),
});

const nameParams = z.object({ name: z.string() });

/** `/v1/volumes` (create, list, inspect, remove, prune) and `POST /v1/gc`. `volumes` is resolved per request (no engine: EngineUnavailable). */
export function volumeRoutes(app: FastifyInstance, volumes: () => VolumesApi): void {
  app.post('/v1/volumes', async (req, reply) => reply.status(201).send(await volumes().create((req.body ?? {}) as never)));

  app.get('/v1/volumes', async (req) => {
    const q = parse(listQuery, req.query, 'query');
    const labels = labelsFrom(q.label);
    return volumes().list({ ...(q.kind ? { kind: q.kind as never } : {}), ...(q.session ? { session: q.session } : {}), ...(labels ? { labels } : {}) });
  });

  app.get('/v1/volumes/:name', async (req) => volumes().inspect(parse(nameParams, req.params, 'path').name));

  app.delete('/v1/volumes/:name', async (req) => volumes().remove(parse(nameParams, req.params, 'path').name));

  app.post('/v1/volumes/prune', async () => volumes().prune());

  app.post('/v1/gc', async (req) => volumes().gc((req.body ?? {}) as never));
}
