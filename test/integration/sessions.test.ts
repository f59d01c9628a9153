import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import type { SessionsApi } from '../../src/session/sessions-api.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

interface Backend {
  api: SessionsApi;
  /** The in-process Berth behind the API (to look at the engine directly). */
  berth: Berth;
  close(): Promise<void>;
}

const backends: Array<[string, (dir: ReturnType<typeof daemonDirs>) => Promise<Backend>]> = [
  [
    'in-process',
    async (d) => {
      const berth = await Berth.connect({ engine: engineUnderTest(), database: join(d.dataDir, 'berth.db'), instance: `t-${runId()}-inproc` });
      return { api: berth.sessions, berth, close: () => berth.close() };
    },
  ],
  [
    'daemon client',
    async (d) => {
      const config = loadConfig({ engine: engineUnderTest(), dataDir: d.dataDir, socket: d.socket, logLevel: 'silent' }, {});
      const daemon = await startDaemon({ ...config, sweepIntervalMs: 200 }, silentLogger());
      return { api: BerthClient.connect({ socketPath: d.socket }).sessions, berth: daemon.berth, close: () => daemon.close() };
    },
  ],
];

describe.each(backends)(`sessions through %s (${engineUnderTest()})`, (_label, make) => {
  let b: Backend;
  const dirs = daemonDirs('sessions');
  const made: string[] = [];
  const labels = { [TEST_LABEL]: runId() };
  const create = async (extra: Record<string, unknown> = {}) => {
    const s = await b.api.create({ name: uniqueName('s'), image: FIXTURE_IMAGE, labels, ...extra });
    made.push(s.id);
    return s;
  };

  beforeAll(async () => {
    b = await make(dirs);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => b.api.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await b?.close();
    dirs.rm();
  });

  it('creates a running session bound to a labelled container, found by id and name', async () => {
    const s = await create({ memory: '64m', env: { A: '1' } });
    expect(s.state).toBe('running');
    expect(s.containerName).toBe(`berth-${s.id}`);
    expect((await b.api.get(s.name)).id).toBe(s.id);
    const c = await b.berth.containers.get(s.containerName);
    const st = await c.inspect();
    expect(st.running).toBe(true);
    expect(st.labels['berth.session']).toBe(s.id);
    expect(st.labels['berth.instance']).toBe(b.berth.instance);
    const info = await b.berth.engineClient.inspectContainer(c.id);
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
  });

  it('execs, records history and last activity, streams, and keeps exit codes', async () => {
    const s = await create({ env: { A: 'from-session' } });
    const r = await b.api.exec(s.id, { cmd: ['sh', '-c', 'echo $A; echo e >&2; exit 5'] });
    expect(r).toMatchObject({ exitCode: 5, stdout: 'from-session\n', stderr: 'e\n', timedOut: false });
    const bin = Buffer.from([0, 255, 1, 254]);
    const r2 = await b.api.exec(s.id, { cmd: ['sh', '-c', 'cat | od -An -tx1'], stdin: bin });
    expect(r2.stdout.trim().split(/\s+/)).toEqual(['00', 'ff', '01', 'fe']);
    const st = await b.api.execStream(s.id, { cmd: ['sh', '-c', 'echo one; echo two >&2; exit 2'] });
    let o = '';
    let e = '';
    st.stdout.on('data', (d: Buffer) => (o += d.toString()));
    st.stderr.on('data', (d: Buffer) => (e += d.toString()));
    expect((await st.exit).exitCode).toBe(2);
    expect([o, e]).toEqual(['one\n', 'two\n']);
    const hist = await b.api.history(s.id);
    expect(hist.map((h) => h.exitCode)).toEqual([2, 0, 5]);
    expect(hist[2]?.cmd).toEqual(['sh', '-c', 'echo $A; echo e >&2; exit 5']);
    expect(Date.parse((await b.api.get(s.id)).lastActiveAt)).toBeGreaterThan(Date.parse(s.lastActiveAt) - 1);
  });

  it('stops, refuses exec while stopped, starts again, and ends', async () => {
    const s = await create();
    expect((await b.api.stop(s.id, { graceSeconds: 1 })).state).toBe('stopped');
    const err = await b.api.exec(s.id, { cmd: ['true'] }).catch((x: unknown) => x);
    expect(BerthError.is(err, 'Conflict')).toBe(true);
    expect((await b.api.start(s.id)).state).toBe('running');
    expect((await b.api.exec(s.id, { cmd: ['true'] })).exitCode).toBe(0);
    const ended = await b.api.remove(s.id);
    expect(ended.state).toBe('ended');
    expect(ended.endReason).toBe('ended by request');
    expect((await b.api.remove(s.id)).state).toBe('ended');
    const gone = await b.berth.containers.get(s.containerName).catch((x: unknown) => x);
    expect(BerthError.is(gone, 'NotFound')).toBe(true);
    expect((await b.api.list()).map((x) => x.id)).not.toContain(s.id);
    expect((await b.api.list({ all: true })).map((x) => x.id)).toContain(s.id);
    expect((await b.api.events(s.id)).map((x) => x.to)).toEqual(['creating', 'running', 'stopped', 'running', 'ended']);
  });

  it('lists with filters', async () => {
    const a = await create({ labels: { ...labels, role: 'a' } });
    const c = await create({ labels: { ...labels, role: 'c' } });
    await b.api.stop(c.id, { graceSeconds: 0 });
    expect((await b.api.list({ labels: { role: 'a' } })).map((x) => x.id)).toEqual([a.id]);
    expect((await b.api.list({ state: 'stopped', labels })).map((x) => x.id)).toEqual([c.id]);
    expect((await b.api.list({ name: a.name })).map((x) => x.id)).toEqual([a.id]);
  });

  it('shows logs with stdout and stderr apart', async () => {
    const s = await create({ spec: { cmd: ['sh', '-c', 'echo hello; echo oops >&2; sleep 3600'] } });
    await expect
      .poll(async () => {
        const l = await b.api.logs(s.id);
        let o = '';
        let e = '';
        l.stdout.on('data', (d: Buffer) => (o += d.toString()));
        l.stderr.on('data', (d: Buffer) => (e += d.toString()));
        await Promise.all([new Promise((r) => l.stdout.on('end', r)), new Promise((r) => l.stderr.on('end', r))]);
        return `${o}|${e}`;
      }, { timeout: 5000 })
      .toBe('hello\n|oops\n');
  });

  it('ends a session when its TTL passes', async () => {
    const s = await create({ ttlMs: 300 });
    if (b.api === b.berth.sessions) {
      await new Promise((r) => setTimeout(r, 350));
      expect(await b.berth.sessions.sweep()).toContain(s.id);
    }
    await expect.poll(async () => (await b.api.get(s.id)).state, { timeout: 10_000 }).toBe('ended');
    expect((await b.api.get(s.id)).endReason).toContain('ttl');
  });

  it('answers bad input with typed errors and leaks nothing', async () => {
    const before = (await b.berth.containers.list({ labels })).length;
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => b.api.get('no-such-session'), 'NotFound'],
      [() => b.api.stop('no-such-session'), 'NotFound'],
      [() => b.api.start('no-such-session'), 'NotFound'],
      [() => b.api.remove('no-such-session'), 'NotFound'],
      [() => b.api.exec('no-such-session', { cmd: ['true'] }), 'NotFound'],
      [() => b.api.logs('no-such-session'), 'NotFound'],
      [() => b.api.create({ image: FIXTURE_IMAGE, memory: '12zb', labels }), 'InvalidArgument'],
      [() => b.api.create({ image: FIXTURE_IMAGE, template: 'nope', labels }), 'NotFound'],
      [() => b.api.create({ image: `no-such-image-${runId()}`, labels }), 'NotFound'],
      [() => b.api.create({ image: FIXTURE_IMAGE, name: 'bad name!', labels }), 'InvalidArgument'],
      [() => b.api.create({ image: FIXTURE_IMAGE, bogus: 1 } as never), 'InvalidArgument'],
      [() => b.api.list({ state: 'bogus' as never }), 'InvalidArgument'],
    ];
    for (const [p, code] of cases) {
      const err = await p().catch((x: unknown) => x);
      expect(BerthError.is(err, code as never), `${String((err as Error)?.message)} should be ${code}`).toBe(true);
    }
    const mem = await b.api.create({ image: FIXTURE_IMAGE, memory: '12zb', labels }).catch((x: unknown) => x);
    expect((mem as BerthError).details.problems?.[0]?.path).toBe('memory');
    const s = await create();
    const dup = await b.api.create({ image: FIXTURE_IMAGE, name: s.name, labels }).catch((x: unknown) => x);
    expect(BerthError.is(dup, 'Conflict')).toBe(true);
    const badExec = await b.api.exec(s.id, { cmd: 'echo hi' as never }).catch((x: unknown) => x);
    expect(BerthError.is(badExec, 'InvalidArgument')).toBe(true);
    expect((await b.berth.containers.list({ labels })).length).toBe(before + 1);
    const failed = await b.api.list({ state: 'failed', labels });
    expect(failed.every((f) => f.endReason?.startsWith('creation failed'))).toBe(true);
  });
});
