import { z } from 'zod';
import { createSessionSchema } from '../session/create-request.js';
import { containerSpecSchema } from '../spec/validate.js';
import { execBodySchema } from './routes/sessions.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
const errorRef = { $ref: '#/components/schemas/Error' };
const errors = {
  '400': { description: 'InvalidArgument', content: { 'application/json': { schema: errorRef } } },
  '404': { description: 'NotFound', content: { 'application/json': { schema: errorRef } } },
  '409': { description: 'Conflict', content: { 'application/json': { schema: errorRef } } },
  '503': { description: 'EngineUnavailable', content: { 'application/json': { schema: errorRef } } },
};
const idParam = [{ name: 'id', in: 'path', required: true, description: 'session id or name', schema: { type: 'string' } }];
const ok = (description: string) => ({ '200': { description }, ...errors });

/** The OpenAPI 3.1 document served at `/v1/openapi.json`. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'berth daemon API', version },
    paths: {
      '/v1/ping': { get: { summary: 'liveness', responses: { '200': { description: '{ ok: true }' } } } },
      '/v1/info': { get: { summary: 'daemon, engine and store facts', responses: { '200': { description: 'DaemonInfo' } } } },
      '/v1/sessions': {
        post: {
          summary: 'create a session',
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateSession' } } } },
          responses: { '201': { description: 'Session' }, ...errors },
        },
        get: {
          summary: 'list sessions',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string' } },
            { name: 'all', in: 'query', schema: { type: 'boolean' } },
            { name: 'name', in: 'query', schema: { type: 'string' } },
            { name: 'label', in: 'query', description: 'key=value, repeatable', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
          ],
          responses: ok('Session[]'),
        },
      },
      '/v1/sessions/{id}': {
        get: { summary: 'one session', parameters: idParam, responses: ok('Session') },
        delete: { summary: 'end a session (stop and remove its container)', parameters: idParam, responses: ok('Session') },
      },
      '/v1/sessions/{id}/stop': { post: { summary: 'stop', parameters: idParam, responses: ok('Session') } },
      '/v1/sessions/{id}/start': { post: { summary: 'start', parameters: idParam, responses: ok('Session') } },
      '/v1/sessions/{id}/events': { get: { summary: 'state changes', parameters: idParam, responses: ok('SessionEvent[]') } },
      '/v1/sessions/{id}/history': { get: { summary: 'exec history', parameters: idParam, responses: ok('ExecRecord[]') } },
      '/v1/sessions/{id}/exec': {
        post: {
          summary: 'run a command to completion',
          parameters: idParam,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Exec' } } } },
          responses: ok('ExecResult'),
        },
      },
      '/v1/sessions/{id}/exec/stream': {
        post: {
          summary: 'run a command, streaming NDJSON frames {o}|{e} (base64) then {exit}',
          parameters: idParam,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Exec' } } } },
          responses: ok('application/x-ndjson'),
        },
      },
      '/v1/sessions/{id}/logs': {
        get: {
          summary: 'container logs as NDJSON frames {o}|{e} then {end}',
          parameters: [...idParam, { name: 'follow', in: 'query', schema: { type: 'boolean' } }, { name: 'tail', in: 'query', schema: { type: 'integer' } }],
          responses: ok('application/x-ndjson'),
        },
      },
    },
    components: {
      schemas: {
        CreateSession: json(createSessionSchema),
        ContainerSpec: json(containerSpecSchema),
        Exec: json(execBodySchema),
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
        },
      },
    },
  };
}
