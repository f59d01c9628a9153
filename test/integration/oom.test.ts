import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import type { BerthEvent } from '../../src/monitor/event-bus.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

const until = async <T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe(`OOM kills of any process of a session (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('oom');
  let d: RunningDaemon;
  let c: BerthClient;
  const events: BerthEvent[] = [];
  let closeEvents: () => void = () => undefined;
  const made: string[] = [];

  beforeAll(async () => {
    d = await startDaemon(loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {}), silentLogger());
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

  it('an exec OOM-killed while PID 1 runs on is reported as session.oom and an oom alert within 2 s', async () => {
    const s = await c.sessions.create({ image: FIXTURE_IMAGE, memory: '32m', labels: { [TEST_LABEL]: runId() } });
    made.push(s.id);
    const r = await c.sessions.exec(s.id, { cmd: ['tail', '/dev/zero'], timeoutMs: 60_000 });
    const killedAt = Date.now();
    expect(r.exitCode).toBe(137);
    const oom = await until(async () => events.find((e) => e.type === 'session.oom' && e.sessionId === s.id), 10_000, 'the OOM event');
    expect(Date.parse(oom.at) - killedAt).toBeLessThan(2000);
    expect((await c.monitor.alerts({ session: s.id })).map((a) => a.rule)).toContain('oom');
    expect((await c.sessions.get(s.id)).state).toBe('running');
    // A second kill is news too, reported once.
    await c.sessions.exec(s.id, { cmd: ['tail', '/dev/zero'], timeoutMs: 60_000 });
    await until(async () => events.filter((e) => e.type === 'session.oom' && e.sessionId === s.id).length >= 2, 10_000, 'the second OOM event');
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.filter((e) => e.type === 'session.oom' && e.sessionId === s.id)).toHaveLength(2);
  });
});
