import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError, ContainerSpec, type Container } from '../../src/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { VolumeRepository } from '../../src/store/volume-repository.js';
import { cacheVolumeName, logsVolumeName, workspaceVolumeName } from '../../src/volume/session-volumes.js';
import { VolumeManager } from '../../src/volume/volume-manager.js';
import { daemonDirs, runCli } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const DAY = 86_400_000;
const testLabels = () => ({ [TEST_LABEL]: runId() });

/** What a test made, removed after it pass or fail: sessions, then containers, then volumes. */
function useCleanup(berth: () => Berth) {
  const sessions: string[] = [];
  const containers: Container[] = [];
  const volumes = new Set<string>();
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((id) => berth().sessions.remove(id).catch(() => undefined)));
    await Promise.all(containers.splice(0).map((c) => c.remove({ force: true }).catch(() => undefined)));
    for (const v of [...volumes]) await berth().engineClient.volumes.remove(v).catch(() => undefined);
    volumes.clear();
  });
  return {
    session: (id: string) => (sessions.push(id), id),
    volume: (name: string) => (volumes.add(name), name),
    /** A running fixture container (network none, test label) mounting `volume` at /data. */
    async mounting(volume: string, cmd = ['sleep', '3600']): Promise<Container> {
      const spec = ContainerSpec.builder().image(FIXTURE_IMAGE).name(uniqueName('user')).labels(testLabels()).cmd(cmd).mount({ type: 'volume', source: volume, target: '/data', readOnly: false }).build();
      const c = await berth().containers.create(spec);
      containers.push(c);
      await c.start();
      return c;
    },
  };
}

const mountLine = (mounts: string, target: string) => mounts.split('\n').find((l) => l.split(' ')[1] === target);

describe(`volumes (${engineUnderTest()})`, () => {
  let berth: Berth;
  const t = useCleanup(() => berth);

  beforeAll(async () => {
    berth = await Berth.connect({ engine: engineUnderTest(), instance: `t-${runId()}-vol` });
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('creates idempotently with berth labels, lists by label, inspects, removes twice without error', async () => {
    const name = t.volume(uniqueName('v'));
    const v = await berth.volumes.create({ name, labels: { ...testLabels(), team: 'a' } });
    expect(v).toMatchObject({ name, kind: 'cache', engine: engineUnderTest(), inUse: false, usedBy: [], labels: { team: 'a' } });
    const again = await berth.volumes.create({ name, labels: testLabels() });
    expect(again.createdAt).toBe(v.createdAt);
    const raw = await berth.engineClient.volumes.inspect(name);
    expect(raw.labels).toMatchObject({ 'berth.managed': 'true', 'berth.instance': berth.instance, 'berth.volume.kind': 'cache', [TEST_LABEL]: runId(), team: 'a' });
    expect((await berth.volumes.list({ labels: { team: 'a' } })).map((x) => x.name)).toContain(name);
    expect((await berth.volumes.list({ labels: { team: 'b' } })).map((x) => x.name)).not.toContain(name);
    expect((await berth.volumes.list({ kind: 'logs' })).map((x) => x.name)).not.toContain(name);
    const other = await berth.volumes.create({ name, kind: 'logs' }).catch((e: unknown) => e);
    expect(BerthError.is(other, 'Conflict')).toBe(true);
    expect((await berth.volumes.inspect(name)).sizeBytes).toBe(0);
    expect(await berth.volumes.remove(name)).toEqual({ name, removed: true });
    expect(await berth.volumes.remove(name)).toEqual({ name, removed: false });
    const gone = await berth.volumes.inspect(name).catch((e: unknown) => e);
    expect(BerthError.is(gone, 'NotFound')).toBe(true);
    expect((await berth.volumes.list()).map((x) => x.name)).not.toContain(name);
  });

  it('refuses volumes it does not own: create of the same name is Conflict, inspect and remove are NotFound', async () => {
    const name = t.volume(uniqueName('foreign'));
    await berth.engineClient.volumes.create(name, testLabels());
    expect(BerthError.is(await berth.volumes.create({ name, labels: testLabels() }).catch((e: unknown) => e), 'Conflict')).toBe(true);
    expect(BerthError.is(await berth.volumes.inspect(name).catch((e: unknown) => e), 'NotFound')).toBe(true);
    expect(BerthError.is(await berth.volumes.remove(name).catch((e: unknown) => e), 'NotFound')).toBe(true);
    expect((await berth.engineClient.volumes.inspect(name)).name).toBe(name);
  });

  it('measures size, sees the user, and refuses to remove a volume in use (Conflict naming the container)', async () => {
    const name = t.volume(uniqueName('busy'));
    await berth.volumes.create({ name, labels: testLabels() });
    const c = await t.mounting(name, ['sh', '-c', 'head -c 65536 /dev/zero > /data/blob && sleep 3600']);
    const wrote = await c.exec({ cmd: ['sh', '-c', 'while [ ! -s /data/blob ] || [ $(wc -c < /data/blob) -lt 65536 ]; do sleep 0.05; done; wc -c < /data/blob'], timeoutMs: 20_000 });
    expect(wrote.stdout.trim()).toBe('65536');
    const v = await berth.volumes.inspect(name);
    expect(v.inUse).toBe(true);
    expect(v.usedBy).toEqual([c.name]);
    expect(v.sizeBytes).toBeGreaterThanOrEqual(65536);
    const err = await berth.volumes.remove(name).catch((e: unknown) => e);
    expect(BerthError.is(err, 'Conflict')).toBe(true);
    expect((err as BerthError).message).toContain(c.name);
    expect((err as BerthError).details.usedBy).toEqual([c.name]);
    const pruned = await berth.volumes.prune();
    expect(pruned.removed).not.toContain(name);
    expect((await berth.engineClient.volumes.inspect(name)).name).toBe(name);
  });

  describe('gc with a fake clock', () => {
    let db: Database;
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const manager = (policy: ConstructorParameters<typeof VolumeManager>[0]['policy']) =>
      new VolumeManager({ engine: berth.engineClient, repo: new VolumeRepository(db), instance: `t-${runId()}-gc`, policy, sessionLive: () => true, log: silentLogger(), now: () => clock });
    beforeAll(() => {
      db = openDatabase({ path: ':memory:' }).db;
    });
    afterAll(() => db.close());

    it('dry run shows the plan and removes nothing; apply removes the unused ones and the one in use survives', async () => {
      const gc = manager({ onSessionEnd: true, unusedForMs: 7 * DAY });
      const [a, b, busy] = [t.volume(uniqueName('gc-a')), t.volume(uniqueName('gc-b')), t.volume(uniqueName('gc-busy'))];
      for (const name of [a, b, busy]) await gc.create({ name, labels: testLabels() });
      await t.mounting(busy);
      expect((await gc.gc()).entries).toEqual([]);

      clock += 8 * DAY;
      const dry = await gc.gc({ dryRun: true });
      expect(dry.dryRun).toBe(true);
      expect(dry.entries.map((e) => [e.name, e.reason, e.removed]).sort()).toEqual([
        [a, 'unused', false],
        [b, 'unused', false],
      ]);
      for (const name of [a, b, busy]) expect((await berth.engineClient.volumes.inspect(name)).name).toBe(name);

      const applied = await gc.gc();
      expect(applied.entries.map((e) => [e.name, e.removed]).sort()).toEqual([
        [a, true],
        [b, true],
      ]);
      for (const name of [a, b]) expect(BerthError.is(await berth.engineClient.volumes.inspect(name).catch((e: unknown) => e), 'NotFound')).toBe(true);
      const survivor = await gc.inspect(busy);
      expect(survivor.inUse).toBe(true);
      expect(survivor.lastUsedAt).toBe(new Date(clock).toISOString());
      expect((await gc.list()).map((v) => v.name)).toEqual([busy]);
    });

    it('drops registry rows of volumes removed behind its back', async () => {
      const gc = manager({ onSessionEnd: true });
      const name = t.volume(uniqueName('gc-vanish'));
      await gc.create({ name, labels: testLabels() });
      await berth.engineClient.volumes.remove(name);
      expect((await gc.reconcile()).dropped).toContain(name);
      expect((await gc.list()).map((v) => v.name)).not.toContain(name);
    });
  });

  describe('session volumes', () => {
    const create = async (volumes: Record<string, unknown>) => {
      const s = await berth.sessions.create({ name: uniqueName('s'), image: FIXTURE_IMAGE, labels: testLabels(), volumes: volumes as never });
      t.session(s.id);
      return s;
    };
    const mounts = async (id: string) => (await berth.sessions.exec(id, { cmd: ['cat', '/proc/mounts'] })).stdout;

    it('reuses a cache volume across two sessions by key, and keeps it when they end', async () => {
      const key = uniqueName('npm-cache');
      const name = t.volume(cacheVolumeName(berth.instance, key));
      const s1 = await create({ caches: [{ key, target: '/cache' }] });
      expect(mountLine(await mounts(s1.id), '/cache')).toBeDefined();
      expect((await berth.sessions.exec(s1.id, { cmd: ['sh', '-c', 'echo kept > /cache/f'] })).exitCode).toBe(0);
      await berth.sessions.remove(s1.id);
      const v = await berth.volumes.inspect(name);
      expect(v).toMatchObject({ kind: 'cache', cacheKey: key, inUse: false });
      expect(v.ownerSessionId).toBeUndefined();
      const s2 = await create({ caches: [{ key, target: '/cache' }] });
      expect((await berth.sessions.exec(s2.id, { cmd: ['cat', '/cache/f'] })).stdout).toBe('kept\n');
      expect((await berth.volumes.inspect(name)).usedBy).toEqual([s2.containerName]);
    });

    it('puts the workspace on a volume owned by the session, removed when the session ends', async () => {
      const s = await create({ workspace: { type: 'volume' } });
      const name = t.volume(workspaceVolumeName(s.id));
      const line = mountLine(await mounts(s.id), '/workspace');
      expect(line).toBeDefined();
      expect(line?.split(' ')[2]).not.toBe('tmpfs');
      await berth.files.writeFiles(s.id, [{ path: 'a.txt', content: 'on the volume' }]);
      expect((await berth.sessions.exec(s.id, { cmd: ['cat', '/workspace/a.txt'] })).stdout).toBe('on the volume');
      expect(await berth.volumes.list({ session: s.id })).toMatchObject([{ name, kind: 'workspace', ownerSessionId: s.id, inUse: true }]);
      await berth.sessions.remove(s.id);
      expect(BerthError.is(await berth.engineClient.volumes.inspect(name).catch((e: unknown) => e), 'NotFound')).toBe(true);
      expect(await berth.volumes.list({ session: s.id })).toEqual([]);
    });

    it('puts the workspace on a size-capped tmpfs', async () => {
      const s = await create({ workspace: { type: 'tmpfs', size: '64m' } });
      const line = mountLine(await mounts(s.id), '/workspace');
      expect(line?.split(' ')[2]).toBe('tmpfs');
      expect(line).toContain('size=65536k');
      expect((await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo ok > /workspace/x && cat /workspace/x'] })).stdout).toBe('ok\n');
      expect(await berth.volumes.list({ session: s.id })).toEqual([]);
    });

    it('mounts a logs volume at /var/log/berth (or a chosen target), removed at session end', async () => {
      const s = await create({ logs: true });
      const name = t.volume(logsVolumeName(s.id));
      expect(mountLine(await mounts(s.id), '/var/log/berth')).toBeDefined();
      expect(await berth.volumes.list({ session: s.id })).toMatchObject([{ name, kind: 'logs' }]);
      const s2 = await create({ logs: { target: '/logs' } });
      t.volume(logsVolumeName(s2.id));
      expect(mountLine(await mounts(s2.id), '/logs')).toBeDefined();
      await berth.sessions.remove(s.id);
      expect(BerthError.is(await berth.engineClient.volumes.inspect(name).catch((e: unknown) => e), 'NotFound')).toBe(true);
    });

    it('refuses bad volume requests with every problem, and volumes on the local backend', async () => {
      const err = await berth.sessions
        .create({ image: FIXTURE_IMAGE, labels: testLabels(), volumes: { workspace: { type: 'tmpfs', size: 'huge' }, caches: [{ key: '', target: 'x' }] } as never })
        .catch((e: unknown) => e);
      expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
      expect((err as BerthError).details.problems?.map((p) => p.path)).toEqual(expect.arrayContaining(['volumes.workspace.size', 'volumes.caches.0.key', 'volumes.caches.0.target']));
      const local = await berth.sessions.create({ backend: 'local', volumes: { logs: true } }).catch((e: unknown) => e);
      expect(BerthError.is(local, 'InvalidArgument')).toBe(true);
    });
  });
});

describe(`volumes through the daemon: HTTP client and CLI (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('volumes');
  let daemon: RunningDaemon;
  const t = useCleanup(() => daemon.berth);

  beforeAll(async () => {
    const config = loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {});
    daemon = await startDaemon({ ...config, volumes: { onSessionEnd: true, unusedForMs: 1 }, volumeGcIntervalMs: 0 }, silentLogger());
  });
  afterAll(async () => {
    await daemon?.close();
    dirs.rm();
  });

  it('creates, lists and inspects through the client; berth gc --dry-run shows the plan, berth gc applies it, the volume in use survives', async () => {
    const { BerthClient } = await import('../../src/client/client.js');
    const client = BerthClient.connect({ socketPath: dirs.socket });
    const idle = t.volume(uniqueName('idle'));
    const busy = t.volume(uniqueName('busy'));
    expect((await client.volumes.create({ name: idle, labels: testLabels() })).name).toBe(idle);
    await client.volumes.create({ name: busy, labels: testLabels() });
    await t.mounting(busy);
    expect((await client.volumes.inspect(busy)).inUse).toBe(true);
    const ls = await runCli(dirs.socket, ['volume', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ name: string }>).map((v) => v.name).sort()).toEqual([busy, idle].sort());

    const dry = await runCli(dirs.socket, ['gc', '--dry-run']);
    expect(dry.code).toBe(0);
    const dryRow = dry.stdout.split('\n').find((l) => l.startsWith(idle));
    expect(dryRow).toMatch(/unused .*no \(dry run\)/);
    expect(dry.stdout).not.toContain(busy);
    expect((await client.volumes.inspect(idle)).name).toBe(idle);

    const applied = await runCli(dirs.socket, ['gc']);
    expect(applied.code).toBe(0);
    expect(applied.stdout.split('\n').find((l) => l.startsWith(idle))).toMatch(/unused .*yes$/);
    expect(BerthError.is(await client.volumes.inspect(idle).catch((e: unknown) => e), 'NotFound')).toBe(true);
    expect((await client.volumes.inspect(busy)).inUse).toBe(true);

    const rm = await runCli(dirs.socket, ['volume', 'rm', busy]);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toContain('[Conflict]');
    const api = await client.volumes.remove(busy).catch((e: unknown) => e);
    expect(BerthError.is(api, 'Conflict')).toBe(true);
    const bad = await client.volumes.create({ name: '../x' }).catch((e: unknown) => e);
    expect(BerthError.is(bad, 'InvalidArgument')).toBe(true);
  });

  it('berth volume create / inspect / prune / rm from the CLI, with their exit codes', async () => {
    const name = t.volume(uniqueName('cli'));
    const made = await runCli(dirs.socket, ['volume', 'create', name, '--kind', 'workspace', '--label', `${TEST_LABEL}=${runId()}`, '--label', 'team=cli']);
    expect(made).toMatchObject({ code: 0, stdout: `${name}\n` });
    const inspected = await runCli(dirs.socket, ['volume', 'inspect', name]);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ name, kind: 'workspace', inUse: false, labels: { team: 'cli' } });
    const badKind = await runCli(dirs.socket, ['volume', 'create', uniqueName('x'), '--kind', 'scratch']);
    expect(badKind.code).toBe(125);
    const pruned = await runCli(dirs.socket, ['volume', 'prune', '--json']);
    expect(pruned.code).toBe(0);
    expect((JSON.parse(pruned.stdout) as { removed: string[] }).removed).toContain(name);
    const missing = await runCli(dirs.socket, ['volume', 'inspect', name]);
    expect(missing.code).toBe(125);
    const again = await runCli(dirs.socket, ['volume', 'rm', name]);
    expect(again).toMatchObject({ code: 0, stdout: `${name} (was not there)\n` });
  });
});
