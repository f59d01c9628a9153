import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { invalidArgument } from '../../common/errors.js';
import { parse, truthy } from '../parse.js';
import type { TrustOf } from '../request-trust.js';

const pathQuery = z.object({ path: z.string().min(1, 'is required') });
const bool = z.enum(['true', 'false', '1', '0']).optional();

export const writeFilesBodySchema = z.strictObject({
  files: z.array(z.strictObject({ path: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64']).optional(), mode: z.number().int().optional() })),
});
const forkBody = z.strictObject({ name: z.string().optional() }).optional();
const defaultsBody = z.strictObject({ workdir: z.string().optional(), env: z.record(z.string(), z.string()).optional() });
const mkdirBody = z.strictObject({ path: z.string().min(1) });


/** The files API, fork and exec defaults over HTTP. Archives stream in both directions. */
export function fileRoutes(app: FastifyInstance, berth: Berth, trustOf: TrustOf): void {
  const files = berth.files;
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-tar', (_req, payload, done) => done(null, payload));

  app.put<{ Params: { id: string } }>('/v1/sessions/:id/files', async (req) => {
    const q = parse(pathQuery.extend({ mode: z.coerce.number().int().min(0).max(0o7777).optional() }), req.query, 'query');
    if (!Buffer.isBuffer(req.body)) throw invalidArgument([{ path: 'body', message: 'send the bytes as application/octet-stream' }], 'request');
    return files.writeFile(req.params.id, q.path, req.body, q.mode !== undefined ? { mode: q.mode } : {});
  });

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/files', async (req) => {
    const b = parse(writeFilesBodySchema, req.body, 'files');
    return files.writeFiles(
      req.params.id,
      b.files.map((f) => ({ path: f.path, content: f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content, ...(f.mode !== undefined ? { mode: f.mode } : {}) })),
    );
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/files', async (req, reply) => {
    const q = parse(pathQuery.extend({ maxBytes: z.coerce.number().int().positive().optional() }), req.query, 'query');
    const data = await files.readFile(req.params.id, q.path, q.maxBytes ? { maxBytes: q.maxBytes } : {});
    return reply.type('application/octet-stream').send(data);
  });

  app.delete<{ Params: { id: string } }>('/v1/sessions/:id/files', async (req, reply) => {
    const q = parse(pathQuery.extend({ recursive: bool }), req.query, 'query');
    await files.deleteFile(req.params.id, q.path, { recursive: truthy(q.recursive) });
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/dir', async (req) => {
    const q = parse(pathQuery.extend({ recursive: bool }), req.query, 'query');
    return files.listDirectory(req.params.id, q.path, { recursive: truthy(q.recursive) });
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/stat', async (req) => files.stat(req.params.id, parse(pathQuery, req.query, 'query').path));

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/mkdir', async (req, reply) => {
    await files.mkdir(req.params.id, parse(mkdirBody, req.body, 'mkdir').path);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/archive', async (req, reply) => {
    const { archive, type, path } = await files.exportArchive(req.params.id, parse(pathQuery, req.query, 'query').path);
    return reply.type('application/x-tar').header('x-berth-path-type', type).header('x-berth-path', encodeURIComponent(path)).send(archive);
  });

  app.put<{ Params: { id: string } }>('/v1/sessions/:id/archive', async (req, reply) => {
    const q = parse(pathQuery, req.query, 'query');
    const body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') throw invalidArgument([{ path: 'body', message: 'send a tar archive as application/x-tar' }], 'request');
    await files.importArchive(req.params.id, q.path, body);
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/fork', async (req, reply) => {
    const b = parse(forkBody, req.body ?? undefined, 'fork options');
    return reply.status(201).send(await berth.sessions.fork(req.params.id, { ...(b?.name ? { name: b.name } : {}), trust: trustOf(req) }));
  });

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/defaults', async (req) => {
    const b = parse(defaultsBody, req.body ?? {}, 'exec defaults');
    return berth.sessions.setDefaults(req.params.id, { ...(b.workdir !== undefined ? { workdir: b.workdir } : {}), ...(b.env ? { env: b.env } : {}) });
  });

  app.get('/v1/files/metrics', async () => files.metrics());
}
