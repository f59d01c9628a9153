import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import type { BerthEvent } from '../../src/monitor/event-bus.js';
import { daemonDirs, runCli } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';
import { BIN } from '../support/terminal.js';

const run = promisify(execFile);
const until = async <T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe(`monitoring, alerts and health (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('monitor');
  let d: RunningDaemon;
  let c: BerthClient;
  const events: BerthEvent[] = [];
  let closeEvents: () => void = () => undefined;
  const made: string[] = [];
  const session = async (extra: Record<string, unknown> = {}) => {
    const s = await c.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() }, ...extra });
    made.push(s.id);
    return s;
  };

  beforeAll(async () => {
    // Short windows so the rules trip within a test.
    const config = loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {});
    d = await startDaemon({ ...config, sampleIntervalMs: 250, alerts: { cpuPercent: 50, cpuForMs: 1000, memoryPercent: 90, memoryForMs: 500 } }, silentLogger());
    c = BerthClient.connect({ socketPath: dirs.socket });
    const sub = await c.monitor.events();
    closeEvents = sub.close;
    void (async () => {
      for await (const e of sub.events) events.push(e);
    })().catch(() => undefined);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => c.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    closeEvents();
    await d?.close();
    dirs.rm();
  });

  it('a CPU burner trips the CPU rule, which resolves once it stops', async () => {
    const s = await session({ spec: { cmd: ['sh', '-c', 'while [ ! -f /tmp/stop ]; do :; done; exec sleep 3600'] } });
    const fired = await until(async () => (await c.monitor.alerts({ session: s.id, state: 'firing' })).find((a) => a.rule === 'cpu'), 20_000, 'the CPU alert');
    expect(fired.value).toBeGreaterThan(50);
    expect(events.some((e) => e.type === 'alert.fired' && e.sessionId === s.id)).toBe(true);
    await c.sessions.exec(s.id, { cmd: ['touch', '/tmp/stop'] });
    const resolved = await until(async () => (await c.monitor.alerts({ session: s.id, state: 'resolved' })).find((a) => a.id === fired.id), 20_000, 'the CPU alert to resolve');
    expect(resolved.resolvedAt).toBeDefined();
    const cli = JSON.parse((await runCli(dirs.socket, ['alerts', '-a', '--json', '--session', s.id])).stdout) as Array<{ id: number }>;
    expect(cli.map((a) => a.id)).toContain(fired.id);
    expect((await c.monitor.alerts({ session: s.id })).filter((a) => a.rule === 'cpu')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'alert.resolved' && e.sessionId === s.id)).toHaveLength(1);
  });

  it('detects an OOM kill within 2 s of the exit and raises an alert', async () => {
    const s = await session({ memory: '16m', spec: { cmd: ['sh', '-c', 'sleep 1; tail /dev/zero'] } });
    const stopped = await until(async () => events.find((e) => e.type === 'session.state' && e.sessionId === s.id && e.data.to === 'stopped'), 30_000, 'the exit');
    const oom = await until(async () => events.find((e) => e.type === 'session.oom' && e.sessionId === s.id), 5000, 'the OOM event');
    expect(Date.parse(oom.at) - Date.parse(stopped.at)).toBeLessThan(2000);
    expect((await c.monitor.alerts({ session: s.id })).map((a) => a.rule)).toContain('oom');
  });

  it('restarts an unhealthy session up to the limit, then marks it failed', async () => {
    const s = await session({
      spec: { healthcheck: { cmd: ['false'], intervalMs: 300, timeoutMs: 2000, retries: 1 } },
      health: { restartOnUnhealthy: true, maxRestarts: 2, backoffMs: 100 },
    });
    const failed = await until(async () => {
      const x = await c.sessions.get(s.id);
      return x.state === 'failed' && x;
    }, 60_000, 'the session to fail');
    expect(failed.endReason).toMatch(/unhealthy after 2 restarts/);
    const h = await c.monitor.health(s.id);
    expect(h.restarts.map((r) => r.attempt)).toEqual([1, 2]);
    expect(h.changes.some((x) => x.status === 'unhealthy')).toBe(true);
    expect(h.checkedBy).toBe(engineUnderTest() === 'docker' ? 'engine' : 'berth');
    expect(events.some((e) => e.type === 'health' && e.sessionId === s.id && e.data.status === 'unhealthy')).toBe(true);
    const cli = await runCli(dirs.socket, ['health', s.id]);
    expect(cli.stdout).toMatch(/restarts: 2/);
  });

  it('berth events follows the stream', async () => {
    const s = await session();
    const child = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'events', '--json', '--session', s.id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await new Promise((r) => setTimeout(r, 500));
      await c.sessions.stop(s.id, { graceSeconds: 0 });
      await until(async () => out.includes('"session.state"'), 10_000, 'the event on the CLI');
      const e = JSON.parse(out.split('\n')[0]!) as BerthEvent;
      expect(e).toMatchObject({ type: 'session.state', sessionId: s.id, data: { to: 'stopped' } });
    } finally {
      child.kill();
    }
  });

  it('samples agree with the engine CLI, and /metrics parses as Prometheus text', async () => {
    const s = await session({ memory: '64m', spec: { cmd: ['sh', '-c', 'head -c 20000000 /dev/zero > /dev/shm/blob; exec sleep 3600'] } });
    const sample = await until(async () => (await c.monitor.stats(s.id))[0], 10_000, 'a sample');
    expect(sample.source).toBe('cgroup');
    expect(sample.memoryLimitBytes).toBe(64 * 1024 * 1024);
    const cli = engineUnderTest();
    const { stdout } = await run(cli, ['stats', '--no-stream', '--format', '{{.MemUsage}}', s.containerName]);
    const m = /([\d.]+)\s*([KMG]i?B)/.exec(stdout);
    const unit = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 }[m?.[2] ?? 'MiB'] ?? 1;
    const engineBytes = Number(m?.[1]) * unit;
    const ours = (await until(async () => (await c.monitor.stats(s.id))[0], 5000, 'a sample')).memoryBytes;
    expect(ours).toBeGreaterThan(15_000_000);
    expect(Math.abs(ours - engineBytes) / engineBytes).toBeLessThan(0.25);
    const families = parsePrometheusTextFormat(await c.monitor.metrics());
    const names = new Set(families.map((f) => f.name));
    for (const n of ['berth_http_requests_total', 'berth_sessions', 'berth_session_memory_bytes', 'berth_engine_calls_total', 'berth_sample_tick_seconds']) expect(names).toContain(n);
    const mem = families.find((f) => f.name === 'berth_session_memory_bytes')?.metrics.find((x) => x.labels?.session === s.id);
    expect(Number(mem?.value)).toBeGreaterThan(15_000_000);
    const cliStats = await runCli(dirs.socket, ['stats', '--no-stream', s.id]);
    expect(cliStats.code).toBe(0);
    expect(cliStats.stdout).toContain(s.id);
    expect(cliStats.stdout).toContain('64MiB');
  });
});
