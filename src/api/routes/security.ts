import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { parse } from '../parse.js';

const auditQuery = z.strictObject({
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().positive().max(100_000).optional(),
});

/** A session's security score and the audit log. */
export function securityRoutes(app: FastifyInstance, berth: Berth): void {
  app.get<{ Params: { id: string } }>('/v1/sessions/:id/security', async (req) => berth.security.score(req.params.id));

  app.get('/v1/audit', async (req) => {
    const q = parse(auditQuery, req.query, 'query');
    return berth.security.audit({ ...(q.since !== undefined ? { since: q.since } : {}), ...(q.limit ? { limit: q.limit } : {}) });
  });
}
