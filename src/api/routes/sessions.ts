import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { SESSION_STATES } from '../../session/session.js';
import { labelsFrom, parse, truthy } from '../parse.js';
import type { TrustOf } from '../request-trust.js';
import { streamFrames } from '../frame-stream.js';
import { MAX_EXEC_TIMEOUT_MS, MAX_OUTPUT_BYTES } from '../../exec/exec-options.js';

export const execBodySchema = z.strictObject({
  cmd: z.array(z.string()).min(1, 'must have at least one element (an argv array, not a shell string)'),
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
  user: z.string().optional(),
  /** UTF-8 text, or base64 with `stdinEncoding: 'base64'`. */
  stdin: z.string().optional(),
  stdinEncoding: z.enum(['utf8', 'base64']).optional(),
  timeoutMs: z.number().int().positive().max(MAX_EXEC_TIMEOUT_MS, `must be at most ${MAX_EXEC_TIMEOUT_MS} ms (about 24.8 days)`).optional(),
  maxOutputBytes: z.number().int().positive().max(MAX_OUTPUT_BYTES, `must be at most ${MAX_OUTPUT_BYTES} bytes (256 MiB)`).optional(),
  /** exec/stream only: keep the command running when the client hangs up (default: kill it). */
  detach: z.boolean().optional(),
});

const listQuery = z.object({
  state: z.union([z.enum(SESSION_STATES as [string, ...string[]]), z.array(z.enum(SESSION_STATES as [string, ...string[]]))]).optional(),
  all: z.enum(['true', 'false', '1', '0']).optional(),
  name: z.string().optional(),
  label: z.union([z.string(), z.array(z.string())]).optional(),
  limit: z.coerce.number().int().positive().max(100_000).optional(),
});

const pruneBody = z.strictObject({ until: z.string().max(64).optional() });
const stopBody = z.strictObject({ graceSeconds: z.number().int().min(0).max(3600).optional() }).optional();
const logsQuery = z.object({ follow: z.enum(['true', 'false', '1', '0']).optional(), tail: z.coerce.number().int().min(0).optional() });



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

  app.post('/v1/sessions/prune', async (req) => sessions.prune(parse(pruneBody, req.body ?? {}, 'prune options')));
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
    const { detach, ...options } = execOptions(req.body);
    const s = await sessions.execStream(req.params.id, options);
    const onHangUp = detach ? undefined : () => void s.kill().catch((err: unknown) => req.log.warn({ err }, 'could not kill an exec whose client hung up'));
    await streamFrames(reply, { stdout: s.stdout, stderr: s.stderr, last: async () => ({ exit: await s.exit }), ...(onHangUp ? { onHangUp } : {}) });
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id/logs', async (req, reply) => {
    const q = parse(logsQuery, req.query, 'query');
    const logs = await sessions.logs(req.params.id, { follow: truthy(q.follow), ...(q.tail !== undefined ? { tail: q.tail } : {}) });
    await streamFrames(reply, { stdout: logs.stdout, stderr: logs.stderr, last: async () => ({ end: true }), onHangUp: () => logs.close() });
  });
}
