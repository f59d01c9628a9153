import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { collectCandidates, dockerCliContext, fromEnv, wellKnownPodman } from '../../src/engine/candidates.js';
import { detectEngine } from '../../src/engine/detect.js';

/** A fake engine on a unix socket: our detection logic is under test here, not an engine. */
function fakeEngine(path: string, component: string, version: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/_ping')) return void res.end('OK');
    res.setHeader('content-type', 'application/json');
    if (url.endsWith('/version')) {
      return void res.end(JSON.stringify({ Version: version, ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [{ Name: component, Version: version }] }));
    }
    if (url.endsWith('/info')) return void res.end(JSON.stringify({ CgroupVersion: '2' }));
    res.statusCode = 404;
    res.end('{}');
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('candidate strategies', () => {
  it('reads BERTH_ENGINE_HOST, DOCKER_HOST, CONTAINER_HOST in that order', () => {
    const c = fromEnv({ env: { CONTAINER_HOST: 'unix:///c.sock', DOCKER_HOST: 'unix:///d.sock', BERTH_ENGINE_HOST: '/b.sock' } });
    expect(c.map((x) => x.source)).toEqual(['env:BERTH_ENGINE_HOST', 'env:DOCKER_HOST', 'env:CONTAINER_HOST']);
  });

  it('lists env, well-known Docker, then Podman rootful and rootless, without duplicates', () => {
    const c = collectCandidates({ env: { DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_RUNTIME_DIR: '/run/user/1000' }, home: '/nonexistent' });
    expect(c.map((x) => x.endpoint)).toEqual([
      '/var/run/docker.sock',
      '/run/podman/podman.sock',
      '/run/user/1000/podman/podman.sock',
    ]);
    expect(c[0]?.source).toBe('env:DOCKER_HOST');
  });

  it('rootless Podman is only a candidate with XDG_RUNTIME_DIR', () => {
    expect(wellKnownPodman({ env: {} }).length).toBe(1);
  });

  it("reads the Docker CLI's current context", () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
    try {
      mkdirSync(join(home, '.docker', 'contexts', 'meta', 'abc'), { recursive: true });
      writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
      writeFileSync(
        join(home, '.docker', 'contexts', 'meta', 'abc', 'meta.json'),
        JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'unix:///ctx.sock' } } }),
      );
      expect(dockerCliContext({ env: {}, home })).toEqual([{ source: 'docker-context:remote', endpoint: 'unix:///ctx.sock' }]);
      expect(dockerCliContext({ env: { DOCKER_CONTEXT: 'default' }, home })).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('detectEngine', () => {
  let dir: string;
  const servers: Server[] = [];
  let dockerSock: string;
  let podmanSock: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-detect-'));
    dockerSock = join(dir, 'docker.sock');
    podmanSock = join(dir, 'podman.sock');
    servers.push(await fakeEngine(dockerSock, 'Engine', '20.10.24'));
    servers.push(await fakeEngine(podmanSock, 'Podman Engine', '4.3.1'));
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const only = (...endpoints: string[]) => [() => endpoints.map((endpoint, i) => ({ source: `s${i}`, endpoint }))];

  it('takes the first candidate that answers, skipping missing sockets', async () => {
    const r = await detectEngine({ strategies: only(join(dir, 'missing.sock'), podmanSock, dockerSock) });
    expect(r.info).toMatchObject({ kind: 'podman', version: '4.3.1', apiVersion: '1.41', socketPath: podmanSock, cgroupVersion: '2', source: 's1' });
    expect(r.tried.map((t) => t.outcome)).toEqual(['no such socket', 'podman 4.3.1']);
  });

  it('skips engines of the other kind when a kind is asked for', async () => {
    const r = await detectEngine({ engine: 'docker', strategies: only(podmanSock, dockerSock) });
    expect(r.info.kind).toBe('docker');
    expect(r.tried[0]?.outcome).toBe('answers, but is podman 4.3.1');
  });

  it('reads the kind from /version, not the socket name', async () => {
    const r = await detectEngine({ socketPath: `unix://${podmanSock}`, strategies: only(dockerSock) });
    expect(r.info.kind).toBe('podman');
    expect(r.info.source).toBe('option');
  });

  it('fails with EngineUnavailable listing every place tried and a fix', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const err = await detectEngine({ engine: 'docker', strategies: only(join(dir, 'nope.sock'), file, podmanSock) }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'EngineUnavailable')).toBe(true);
    const msg = (err as BerthError).message;
    expect(msg).toContain('nope.sock (s0): no such socket');
    expect(msg).toContain('plain-file (s1): not a socket');
    expect(msg).toContain('podman.sock (s2): answers, but is podman');
    expect(msg).toContain('scripts/bootstrap-engines.sh');
    expect((err as BerthError).details.tried).toHaveLength(3);
  });
});
