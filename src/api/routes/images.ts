import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { BerthError } from '../../common/errors.js';
import type { BuildEvent } from '../../image/build-progress.js';
import { buildRequestSchema, ensureRequestSchema, pruneRequestSchema, type BuildCallOptions } from '../../image/images-api.js';
import { parse } from '../parse.js';

/** A line of a build's NDJSON response: progress events, then one `result` or `error`. */
export type BuildFrame = { event: BuildEvent } | { result: unknown } | { error: { code: string; message: string; details?: unknown } };

const removeQuery = z.strictObject({ force: z.enum(['true', 'false', '1', '0']).optional() });

/**
 * Streams a build's progress as NDJSON; the status is 200 once streaming starts, so
 * failures come as an `error` frame. A client that hangs up cancels the build.
 */
async function streamBuild(reply: FastifyReply, run: (o: BuildCallOptions) => Promise<unknown>): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const cancel = new AbortController();
  let done = false;
  res.once('close', () => done || cancel.abort());
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  const write = (f: BuildFrame) => {
    if (!res.destroyed) res.write(`${JSON.stringify(f)}\n`);
  };
  try {
    write({ result: await run({ onEvent: (event) => write({ event }), signal: cancel.signal }) });
  } catch (err) {
    write({ error: BerthError.from(err).toJSON() });
  }
  done = true;
  res.end();
}

/** `/v1/images`: list, build and ensure (NDJSON progress), remove, prune. */
export function imageRoutes(app: FastifyInstance, berth: Berth): void {
  app.get('/v1/images', async () => berth.images.list());

  app.post('/v1/images/build', async (req, reply) => {
    const body = parse(buildRequestSchema, req.body ?? {}, 'build request');
    const images = berth.images;
    await streamBuild(reply, (o) => images.build(body, o));
  });

  app.post('/v1/images/ensure', async (req, reply) => {
    const { variant, ...o } = parse(ensureRequestSchema, req.body ?? {}, 'ensure request');
    const images = berth.images;
    await streamBuild(reply, (call) => images.ensureBaseImage(variant, { ...o, ...call }));
  });

  app.delete<{ Params: { name: string } }>('/v1/images/:name', async (req) => {
    const q = parse(removeQuery, req.query, 'query');
    return berth.images.remove(req.params.name, { force: q.force === 'true' || q.force === '1' });
  });

  app.post('/v1/images/prune', async (req) => {
    return berth.images.prune(parse(pruneRequestSchema, req.body ?? {}, 'prune request'));
  });
}
