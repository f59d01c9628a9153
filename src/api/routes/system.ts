import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi.js';

export function systemRoutes(app: FastifyInstance, deps: { version: string; info: () => unknown }): void {
  const doc = openApiDocument(deps.version);
  app.get('/v1/ping', async () => ({ ok: true }));
  app.get('/v1/info', async () => deps.info());
  app.get('/v1/openapi.json', async () => doc);
}
