import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError, type CreateSessionRequest, type Session } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import { CgroupReader } from '../../src/monitor/cgroup-reader.js';
import { capabilityMask } from '../../src/security/capabilities.js';
import { parseProcStatus } from '../../src/security/proc-status.js';
import { DEFAULT_CAP_ADD } from '../../src/spec/defaults.js';
import { daemonDirs, runCli } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const labels = { [TEST_LABEL]: runId() };

async function caught(p: Promise<unknown>): Promise<BerthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a BerthError');
}

describe(`security in-process (${engineUnderTest()})`, () => {
  const t = useBerth();
  const made: string[] = [];
  let hostDir: string;
  const session = async (extra: Partial<CreateSessionRequest> = {}): Promise<Session> => {
    const s = await t.berth.sessions.create({ name: uniqueName('sec'), image: FIXTURE_IMAGE, labels, ...extra });
    made.push(s.id);
    return s;
  };
  const sh = (s: Session, script: string, timeoutMs = 30_000) => t.berth.sessions.exec(s.id, { cmd: ['sh', '-c', script], timeoutMs });
  const pid1 = async (s: Session) => parseProcStatus((await sh(s, 'cat /proc/1/status /proc/1/limits')).stdout, (await sh(s, 'cat /proc/1/limits')).stdout);

  beforeAll(() => {
    hostDir = mkdtempSync(join(tmpdir(), 'berth-sec-host-'));
    writeFileSync(join(hostDir, 'data.txt'), 'host data\n');
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => t.berth.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

  it('standard: PID 1 has seccomp, no-new-privileges and exactly the default capabilities; scores 100', async () => {
    const s = await session();
    const p = await pid1(s);
    expect(p?.seccomp).toBe(2);
    expect(p?.noNewPrivs).toBe(true);
    expect(p?.capEff).toBe(capabilityMask(DEFAULT_CAP_ADD));
    const r = await t.berth.security.score(s.id);
    expect(r.inspectedInside).toBe(true);
    expect(r.failed).toEqual([]);
    expect(r.score).toBe(100);
  });

  it("strict: read-only root, writable tmpfs /tmp and workspace, non-root, no capabilities, no network; scores 100 (on Docker without userns-remap: all but userns)", async () => {
    const s = await session({ security: 'strict', memory: '64m' });
    const root = await sh(s, 'touch /should-fail');
    expect(root.exitCode).not.toBe(0);
    expect(root.stderr).toMatch(/read-only/i);
    expect((await sh(s, 'echo x > /tmp/ok && echo y > /workspace/ok && cat /tmp/ok /workspace/ok')).stdout).toBe('x\ny\n');
    expect((await sh(s, 'id -u')).stdout.trim()).toBe('65534');
    expect((await sh(s, 'ls /sys/class/net')).stdout.trim()).toBe('lo');
    const p = await pid1(s);
    expect(p?.seccomp).toBe(2);
    expect(p?.noNewPrivs).toBe(true);
    expect(p?.capEff).toBe(0n);
    const r = await t.berth.security.score(s.id);
    expect(r.profile).toBe('strict');
    const rootIsHostRoot = engineUnderTest() === 'docker' && !t.berth.engineClient.host.usernsRemap;
    expect(r.failed.map((c) => c.id)).toEqual(rootIsHostRoot ? ['userns'] : []);
    expect(r.score).toBe(rootIsHostRoot ? 96 : 100);
    const info = await t.berth.engineClient.inspectContainer(s.containerId!);
    expect(info.HostConfig.MemorySwap).toBe(info.HostConfig.Memory);
    expect(info.HostConfig.PidsLimit).toBe(256);
  });

  it('strict with a tmpfs workspace of a chosen size keeps it writable by the non-root user', async () => {
    const s = await session({ security: 'strict', volumes: { workspace: { type: 'tmpfs', size: '32m' } } });
    expect((await sh(s, 'echo ok > /workspace/f && cat /workspace/f')).stdout).toBe('ok\n');
    expect((await sh(s, 'grep " /workspace " /proc/mounts')).stdout).toContain('size=32768k');
  });

  it('strict refuses a spec asking for capabilities, with nothing created', async () => {
    const name = uniqueName('strict-caps');
    const e = await caught(t.berth.sessions.create({ name, image: FIXTURE_IMAGE, labels, security: 'strict', spec: { capAdd: ['NET_RAW'] } }));
    expect(e.code).toBe('PolicyDenied');
    expect(await t.berth.sessions.list({ name, all: true })).toEqual([]);
  });

  it('a fork bomb is held at the pids limit and the host and other sessions stay responsive', async () => {
    const bomb = await session({ spec: { pidsLimit: 48 } });
    const other = await session();
    void t.berth.sessions.exec(bomb.id, { cmd: ['sh', '-c', 'b() { b | b & }; b; sleep 60'], timeoutMs: 60_000 }).catch(() => undefined);
    // The container's pids cgroup tells what happened whenever it is read: `pids.events`
    // counts forks refused at the limit and `pids.peak` keeps the highest count. (The bomb
    // can burn out at the limit within a second; the engine's stats API takes a second or
    // more a call under it, so sampling the count alone can miss it.)
    const paths = await new CgroupReader().locate((await t.berth.engineClient.inspectContainer(bomb.containerId!)).State.Pid);
    expect(paths).toBeDefined();
    const dir = paths!.version === 1 ? paths!.dirs.pids! : paths!.dirs['']!;
    const refused = () => Number(/^max (\d+)/m.exec(readFileSync(join(dir, 'pids.events'), 'utf8'))?.[1] ?? 0);
    let highest = 0;
    for (let i = 0; i < 300 && refused() === 0; i++) {
      highest = Math.max(highest, Number(readFileSync(join(dir, 'pids.current'), 'utf8')));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused()).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(48);
    if (existsSync(join(dir, 'pids.peak'))) {
      const peak = Number(readFileSync(join(dir, 'pids.peak'), 'utf8'));
      expect(peak).toBeGreaterThan(10);
      expect(peak).toBeLessThanOrEqual(48);
    }
    expect((await sh(other, 'echo alive')).stdout).toBe('alive\n');
    await t.berth.engineClient.ping();
  });

  it('a memory hog is killed inside its limit and the session lives on', async () => {
    const s = await session({ memory: '32m' });
    const r = await sh(s, 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done', 60_000);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(137);
    const info = await t.berth.engineClient.inspectContainer(s.containerId!);
    expect(info.HostConfig.Memory).toBe(32 * 1024 * 1024);
    expect(info.State.Running).toBe(true);
    expect((await sh(s, 'echo still here')).stdout).toBe('still here\n');
  });

  it('denies dangerous bind mounts with PolicyDenied naming the rule, creating nothing', async () => {
    const link = join(hostDir, 'to-etc');
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc', link);
    const cases: Array<[string, string]> = [['/etc', 'system-dir'], [link, 'system-dir'], ['/var/run/docker.sock', 'engine-socket'], ['/', 'root'], [`${hostDir}/../../proc`, 'system-dir']];
    for (const [source, rule] of cases) {
      const name = uniqueName('mount');
      const e = await caught(t.berth.sessions.create({ name, image: FIXTURE_IMAGE, labels, spec: { mounts: [{ type: 'bind', source, target: '/mnt' }] } }));
      expect(e.code).toBe('PolicyDenied');
      expect(e.message).toContain(rule);
      expect(await t.berth.sessions.list({ name, all: true })).toEqual([]);
    }
    const leaked = await t.berth.engineClient.listContainers([`${TEST_LABEL}=${runId()}`], true);
    expect(leaked.filter((c) => c.Names.some((n) => n.includes('-mount')))).toEqual([]);
  });

  it('mounts an allowed host directory read-only unless asked', async () => {
    const s = await session({ spec: { mounts: [{ type: 'bind', source: hostDir, target: '/host' }] } });
    expect((await sh(s, 'cat /host/data.txt')).stdout).toBe('host data\n');
    const w = await sh(s, 'touch /host/new');
    expect(w.exitCode).not.toBe(0);
    expect(w.stderr).toMatch(/read-only/i);
  });

  // Created, never started (so its bridge network carries nothing): this machine's runc cannot start privileged containers.
  it('scores a privileged container low, with the reasons', async () => {
    const c = t.track(await t.berth.containers.create(t.spec('priv').network('bridge').privileged(true).port({ containerPort: 80, hostPort: 18080, hostIp: '0.0.0.0' }).build()));
    const r = await t.berth.security.scoreContainer(c.id);
    expect(r.inspectedInside).toBe(false);
    expect(r.score).toBeLessThan(60);
    expect(r.failed.map((f) => f.id)).toEqual(expect.arrayContaining(['privileged', 'capabilities', 'seccomp', 'port-bindings']));
    expect(r.failed.find((f) => f.id === 'privileged')?.detail).toContain('privileged');
  });

  // The bootstrap registers gVisor with Docker only (Podman would need runsc's --network=none passed per runtime).
  it.runIf(engineUnderTest() === 'docker')('runs a strict session under gVisor (runsc) registered by the bootstrap', async () => {
    expect(Object.keys(t.berth.engineClient.host.runtimes)).toContain('runsc');
    const s = await session({ security: 'strict', spec: { runtime: 'runsc' } });
    expect((await sh(s, 'dmesg')).stdout).toContain('gVisor');
    expect((await sh(s, 'id -u; touch /x 2>/dev/null || echo read-only')).stdout).toBe('65534\nread-only\n');
    const r = await t.berth.security.score(s.id);
    expect(r.failed).toEqual([]);
  });

  it('refuses strict on the local backend, other sessions\' volumes, strict with a workspace volume, and builds reading protected host paths', async () => {
    const name = uniqueName('refused');
    expect((await caught(t.berth.sessions.create({ name, backend: 'local', security: 'strict' }))).code).toBe('PolicyDenied');
    const other = await caught(t.berth.sessions.create({ name, image: FIXTURE_IMAGE, labels, spec: { mounts: [{ type: 'volume', source: 'berth-ws-s-abcdef', target: '/steal' }] } }));
    expect(other.code).toBe('PolicyDenied');
    expect(other.message).toContain('berth-ws-s-abcdef');
    expect((await caught(t.berth.sessions.create({ name, image: FIXTURE_IMAGE, labels, security: 'strict', volumes: { workspace: { type: 'volume' } } }))).code).toBe('PolicyDenied');
    expect(await t.berth.sessions.list({ name, all: true })).toEqual([]);
    const build = await caught(t.berth.images.build({ context: '/etc', tag: `${uniqueName('ctx')}:t` }));
    expect(build.code).toBe('PolicyDenied');
    expect(build.message).toContain('system-dir');
  });

  it('refuses a runtime the engine does not have', async () => {
    const name = uniqueName('runtime');
    const e = await caught(t.berth.sessions.create({ name, image: FIXTURE_IMAGE, labels, spec: { runtime: 'no-such-runtime' } }));
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toContain('no-such-runtime');
    expect(await t.berth.sessions.list({ name, all: true })).toEqual([]);
  });
});

describe(`security through the daemon (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('security');
  let daemon: RunningDaemon;
  let client: BerthClient;
  const made: string[] = [];

  beforeAll(async () => {
    const config = loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {});
    daemon = await startDaemon(config, silentLogger());
    client = BerthClient.connect({ socketPath: dirs.socket });
  });
  afterAll(async () => {
    await Promise.all(made.map((id) => client.sessions.remove(id).catch(() => undefined)));
    await daemon?.close();
    dirs.rm();
  });

  it('keeps an audit log of state-changing requests with actor, action, target and result', async () => {
    const since = Date.now();
    const name = uniqueName('audit');
    const s = await client.sessions.create({ name, image: FIXTURE_IMAGE, labels });
    made.push(s.id);
    await client.sessions.exec(s.id, { cmd: ['true'] });
    await client.sessions.list();
    await caught(client.sessions.create({ image: FIXTURE_IMAGE, memory: 'lots', labels }));
    // Shells are WebSocket upgrades: audited when they close, and when refused.
    const shell = await client.sessions.openShell(s.id, { cmd: ['/bin/sh'] });
    shell.write('exit 4\n');
    expect((await shell.exit).exitCode).toBe(4);
    expect((await caught(client.sessions.openShell('no-such-session'))).code).toBe('NotFound');
    await new Promise((r) => setTimeout(r, 200)); // the daemon sees the socket close
    await client.sessions.remove(s.id);
    const log = await client.security.audit({ since });
    expect(log.map((e) => [e.action, e.result])).toEqual([
      ['POST /v1/sessions', 'ok'],
      ['POST /v1/sessions/:id/exec', 'ok'],
      ['POST /v1/sessions', 'InvalidArgument'],
      ['WS /v1/sessions/:id/shell', 'ok'],
      ['WS /v1/sessions/:id/shell', 'NotFound'],
      ['DELETE /v1/sessions/:id', 'ok'],
    ]);
    expect(log[0]?.target).toBe(name);
    expect(log[1]?.target).toBe(s.id);
    expect(log[3]?.target).toBe(s.id);
    expect(log[4]?.status).toBe(404);
    expect(log.every((e) => e.actor === `uid:${process.getuid?.()}`)).toBe(true);
    expect(log[2]?.status).toBe(400);
    expect(await client.security.audit({ since: Date.now() + 60_000 })).toEqual([]);
  });

  it('berth inspect --security and berth audit', async () => {
    const s = await client.sessions.create({ name: uniqueName('cli'), image: FIXTURE_IMAGE, labels, security: 'strict' });
    made.push(s.id);
    const text = await runCli(dirs.socket, ['inspect', '--security', s.name]);
    expect(text.code).toBe(0);
    const want = engineUnderTest() === 'docker' && !daemon.berth.engineClient.host.usernsRemap ? 96 : 100;
    expect(text.stdout, text.stdout).toContain(`score ${want}/100 (profile strict)`);
    const json = await runCli(dirs.socket, ['inspect', '--security', '--json', s.id]);
    expect((JSON.parse(json.stdout) as { score: number }).score).toBe(want);
    const audit = await runCli(dirs.socket, ['audit', '--since', '10m']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('session create');
    const bad = await runCli(dirs.socket, ['audit', '--since', 'yesterday-ish']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('--since');
    const missing = await runCli(dirs.socket, ['inspect', '--security', 'no-such-session']);
    expect(missing.code).toBe(125);
  });
});
