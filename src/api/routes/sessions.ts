import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { BerthError } from '../../common/errors.js';
import type { Berth } from '../../berth.js';
import { SESSION_STATES } from '../../session/session.js';
import { labelsFrom, parse, truthy } from '../parse.js';
import type { TrustOf } from '../request-trust.js';
import { encodeFrame, type Frame } from '../frames.js';

export const execBodySchema = z.strictObject({
  cmd: z.array(z.string()).min(1, 'must have at least one element (an argv array, not a shell string)'),
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
  user: z.string().optional(),
  /** UTF-8 text, or base64 with `stdinEncoding: 'base64'`. */
  stdin: z.string().optional(),
  stdinEncoding: z.enum(['utf8', 'base64']).optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxOutputBytes: z.number().int().positive().optional(),
});

const listQuery = z.object({
  state: z.union([z.enum(SESSION_STATES as [string, ...string[]]), z.array(z.enum(SESSION_STATES as [string, ...string[]]))]).optional(),
  all: z.enum(['true', 'false', '1', '0']).optional(),
  name: z.string().optional(),
  label: z.union([z.string(), z.array(z.string())]).optional(),
  limit: z.coerce.number().int().positive().max(100_000).optional(),
});

const stopBody = z.strictObject({ graceSeconds: z.number().int().min(0).max(3600).optional() }).optional();
const logsQuery = z.object({ follow: z.enum(['true', 'false', '1', '0']).optional(), tail: z.coerce.number().int().min(0).optional() });



/** Streams stdout/stderr as NDJSON frames until both end, then `last()`'s frame. */
async function streamFrames(reply: FastifyReply, stdout: Readable, stderr: Readable, last: () => Promise<Frame>, onClose?: () => void): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  const write = (f: Frame) => {
    if (!res.destroyed) res.write(encodeFrame(f));
  };
  res.on('close', () => onClose?.());
  const pump = (s: Readable, key: 'o' | 'e') =>
    new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => write(key === 'o' ? { o: d.toString('base64') } : { e: d.toString('base64') }));
      s.once('end', resolve);
      s.once('close', resolve);
      s.once('error', () => resolve());
    });
  await Promise.all([pump(stdout, 'o'), pump(stderr, 'e')]);
  try {
    write(await last());
  } catch (err) {
    write({ error: BerthError.from(err).toJSON() });
  }
  res.end();
}

export function sessionRoutes(app: FastifyInstance, berth: Berth, trustOf: TrustOf): void {
  const sessions = berth.sessions;

  app.post('/v1/sessions', async (req, reply) => {
    const s = await sessions.create((req.body ?? {}) as never, { trust: trustOf(req) });
    return reply.status(201).send(s);
  });

  app.get('/v1/sessions', async (req) => {
    const q = parse(listQuery, req.query, 'query');
    const labels = labelsFrom(q.label);
    return sessions.list({
      ...(q.state ? { state: q.state as never } : {}),
      all: truthy(q.all),
      ...(q.name ? { name: q.name } : {}),
      ...(labels ? { labels } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id', async (req) => sessions.get(req.params.id));
  app.get<{ Params: { id: string } }>('/v1/sessions/:id/events', async (req) => sessions.events(req.params.id));
  app.get<{ Params: { id: string } }>('/v1/sessions/:id/history', async (req) => sessions.history(req.params.id));

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/stop', async (req) => {
    const body = parse(stopBody, req.body ?? undefined, 'stop options');
    return sessions.stop(req.params.id, body?.graceSeconds !== undefined ? { graceSeconds: body.graceSeconds } : {});
  });
  app.post<{ Params: { id: string } }>('/v1/sessions/:id/start', async (req) => sessions.start(req.params.id));
  app.delete<{ Params: { id: string } }>('/v1/sessions/:id', async (req) => sessions.remove(req.params.id));

  const execOptions = (body: unknown) => {
    const b = parse(execBodySchema, body ?? {}, 'exec options');
    const { stdin, stdinEncoding, ...rest } = b;
    return { ...rest, ...(stdin !== undefined ? { stdin: stdinEncoding === 'base64' ? Buffer.from(stdin, 'base64') : stdin } : {}) };
  };

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/exec', async (req) => sessions.exec(req.params.id, execOptions(req.body)));

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/exec/stream', async (req, reply) => {
    const s = await sessions.execStream(req.params.id, execOptions(req.body));
    await streamFrames(reply, s.stdout, s.stderr, async () => ({ exit: await s.exit }));
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/logs', async (req, reply) => {
    const q = parse(logsQuery, req.query, 'query');
    const logs = await sessions.logs(req.params.id, { follow: truthy(q.follow), ...(q.tail !== undefined ? { tail: q.tail } : {}) });
    await streamFrames(reply, logs.stdout, logs.stderr, async () => ({ end: true }), () => logs.close());
  });
}
