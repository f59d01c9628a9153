import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/api/server.js';
import { BerthClient } from '../../src/client/client.js';
import { Berth, BerthError } from '../../src/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

describe(`HTTP API details (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('http');
  let berth: Berth;
  let app: FastifyInstance;
  let tcp: FastifyInstance;
  let port = 0;
  const token = 'a-test-token-of-32-characters-xx';

  beforeAll(async () => {
    berth = await Berth.connect({ engine: engineUnderTest(), database: join(dirs.dataDir, 'b.db'), instance: `t-${runId()}-http` });
    const common = { berth, log: silentLogger(), version: '0.0.0-test', info: () => ({ test: true }) };
    app = createApiServer(common);
    tcp = createApiServer({ ...common, token });
    await tcp.listen({ host: '127.0.0.1', port: 0 });
    port = (tcp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of await berth.sessions.list({ all: true })) await berth.sessions.remove(s.id).catch(() => undefined);
    await Promise.all([app.close(), tcp.close()]);
    await berth.close();
    dirs.rm();
  });

  it('answers malformed JSON, wrong content, unknown routes and bad queries with typed errors', async () => {
    const badJson = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'content-type': 'application/json' }, payload: '{"image": ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'InvalidArgument' });
    const noRoute = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(noRoute.statusCode).toBe(404);
    expect(noRoute.json()).toMatchObject({ code: 'NotFound' });
    const badState = await app.inject({ method: 'GET', url: '/v1/sessions?state=bogus' });
    expect(badState.statusCode).toBe(400);
    expect(badState.json().details.problems[0].path).toBe('state');
    const badLabel = await app.inject({ method: 'GET', url: '/v1/sessions?label=novalue' });
    expect(badLabel.statusCode).toBe(400);
    const badStop = await app.inject({ method: 'POST', url: '/v1/sessions/x/stop', payload: { graceSeconds: -1 } });
    expect(badStop.statusCode).toBe(400);
    const arrayBody = await app.inject({ method: 'POST', url: '/v1/sessions', payload: [1, 2] });
    expect(arrayBody.statusCode).toBe(400);
  });

  it('validates exec bodies and maps engine answers to one status table', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const shell = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/exec`, payload: { cmd: 'echo hi' } });
    expect(shell.statusCode).toBe(400);
    expect(shell.json().details.problems[0].path).toBe('cmd');
    const ok = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/exec`, payload: { cmd: ['sh', '-c', 'cat; exit 4'], stdin: 'aGk=', stdinEncoding: 'base64' } });
    expect(ok.json()).toMatchObject({ exitCode: 4, stdout: 'hi' });
    const stream = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/exec/stream`, payload: { cmd: ['sh', '-c', 'echo a; echo b >&2'] } });
    const frames = stream.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(frames.at(-1)).toMatchObject({ exit: { exitCode: 0, timedOut: false } });
    expect(frames.filter((f) => 'o' in f).map((f) => Buffer.from(String(f.o), 'base64').toString()).join('')).toBe('a\n');
    await app.inject({ method: 'POST', url: `/v1/sessions/${id}/stop`, payload: { graceSeconds: 0 } });
    const conflict = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/exec`, payload: { cmd: ['true'] } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('Conflict');
    const gone = await app.inject({ method: 'DELETE', url: '/v1/sessions/no-such' });
    expect(gone.statusCode).toBe(404);
  });

  it('serves an OpenAPI document naming every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/ping', '/v1/sessions', '/v1/sessions/{id}/exec', '/v1/sessions/{id}/logs']));
    expect(doc.components.schemas.CreateSession).toBeTruthy();
  });

  it('requires the bearer token on TCP', async () => {
    const get = (auth?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/v1/ping', headers: auth ? { authorization: auth } : {} }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get()).status).toBe(401);
    expect(JSON.parse((await get('Bearer wrong')).body).code).toBe('Unauthorized');
    expect(await get(`Bearer ${token}`)).toEqual({ status: 200, body: '{"ok":true}' });
  });

  it('copies a file out over TCP with the token (the bare-socket reader sends it), and not without', async () => {
    const s = await berth.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } });
    const blob = randomBytes(3 * 1024 * 1024 + 1);
    await berth.files.writeFile(s.id, 'blob.bin', blob);
    const url = `http://127.0.0.1:${port}`;
    const out = join(dirs.dir, 'tcp-out.bin');
    expect((await BerthClient.connect({ url, token }).files.copyOut(s.id, 'blob.bin', out)).bytes).toBe(blob.length);
    expect(readFileSync(out).equals(blob)).toBe(true);
    const refused = await BerthClient.connect({ url, token: 'wrong' }).files.copyOut(s.id, 'blob.bin', join(dirs.dir, 'tcp-no.bin')).catch((e: unknown) => e);
    expect(BerthError.is(refused, 'Unauthorized')).toBe(true);
    expect(existsSync(join(dirs.dir, 'tcp-no.bin'))).toBe(false);
    await berth.sessions.remove(s.id);
  });
});
