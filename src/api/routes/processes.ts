import type { FastifyInstance } from 'fastify';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import type { Berth } from '../../berth.js';
import { BerthError } from '../../common/errors.js';
import { encodeFrame, type Frame } from '../frames.js';
import { parse } from '../parse.js';

const startBody = z.strictObject({
  cmd: z.array(z.string()).min(1, 'must have at least one element (an argv array, not a shell string)'),
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
  user: z.string().optional(),
  stdin: z.boolean().optional(),
});
const waitBody = z.strictObject({ timeoutMs: z.number().int().positive().max(86_400_000).optional() }).optional();
const signalBody = z.strictObject({ signal: z.union([z.string().max(16), z.number().int()]).optional() }).optional();
/** At most 1 MiB of input a request (base64 with `encoding: 'base64'`). */
const inputBody = z.strictObject({ data: z.string().max(1_400_000), encoding: z.enum(['utf8', 'base64']).optional(), eof: z.boolean().optional() });

/** Detached processes of a session (`/v1/sessions/:id/processes`), kept by its agent. */
export function processRoutes(app: FastifyInstance, berth: Berth): void {
  const procs = berth.processes;
  type P = { Params: { id: string; pid: string } };
  app.post<{ Params: { id: string } }>('/v1/sessions/:id/processes', async (req, reply) => {
    reply.code(201);
    return procs.start(req.params.id, parse(startBody, req.body ?? {}, 'process options'));
  });
  app.get<{ Params: { id: string } }>('/v1/sessions/:id/processes', async (req) => procs.list(req.params.id));
  app.post<P>('/v1/sessions/:id/processes/:pid/wait', async (req) => procs.wait(req.params.id, req.params.pid, parse(waitBody, req.body, 'wait options') ?? {}));
  app.post<P>('/v1/sessions/:id/processes/:pid/signal', async (req) => {
    await procs.signal(req.params.id, req.params.pid, parse(signalBody, req.body, 'signal')?.signal);
    return { ok: true };
  });
  app.post<P>('/v1/sessions/:id/processes/:pid/stdin', async (req) => {
    const b = parse(inputBody, req.body ?? {}, 'input');
    await procs.input(req.params.id, req.params.pid, Buffer.from(b.data, b.encoding === 'base64' ? 'base64' : 'utf8'), { eof: b.eof ?? false });
    return { ok: true };
  });
  app.get<P>('/v1/sessions/:id/processes/:pid/output', async (req, reply) => {
    const out = await procs.output(req.params.id, req.params.pid);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const write = (f: Frame) => {
      if (!res.destroyed) res.write(encodeFrame(f));
    };
    res.on('close', () => out.close());
    out.stdout.on('data', (d: Buffer) => write({ o: d.toString('base64') }));
    out.stderr.on('data', (d: Buffer) => write({ e: d.toString('base64') }));
    try {
      const p = await out.exit;
      await Promise.all([finished(out.stdout), finished(out.stderr)]).catch(() => undefined);
      write({ exit: { exitCode: p.exitCode ?? -1, timedOut: false, durationMs: 0 } });
    } catch (err) {
      write({ error: BerthError.from(err).toJSON() });
    }
    res.end();
  });
}
