import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupReader, FileCache } from '../../src/monitor/cgroup-reader.js';
import { silentLogger } from '../../src/common/logger.js';
import { countersFromStats } from '../../src/engine/stats.js';
import { AlertManager } from '../../src/monitor/alert-manager.js';
import { DEFAULT_ALERT_RULES } from '../../src/monitor/alert-rules.js';
import { EventBus, type BerthEvent } from '../../src/monitor/event-bus.js';
import { cpuPercent, type ResourceSample } from '../../src/monitor/resource-sample.js';
import { openDatabase } from '../../src/store/database.js';
import { MonitorRepository } from '../../src/store/monitor-repository.js';

const sample = (at: number, cpu: number, mem = 0, limit = 100): ResourceSample => ({
  sessionId: 's-1', at: new Date(at).toISOString(), cpuPercent: cpu, memoryBytes: mem, memoryLimitBytes: limit, memoryPercent: limit ? (mem / limit) * 100 : 0,
  netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 1, source: 'cgroup',
});

describe('monitor store', () => {
  it('keeps raw samples and per-minute rollups, and prunes each by its own retention in batches', () => {
    const repo = new MonitorRepository(openDatabase({ path: ':memory:' }).db);
    const t0 = Date.UTC(2026, 0, 1);
    repo.insertSamples(Array.from({ length: 120 }, (_, i) => sample(t0 + i * 1000, i % 2 ? 50 : 10, 40)));
    const rollups = repo.rollups('s-1', 0);
    expect(rollups).toHaveLength(2);
    expect(rollups[0]).toMatchObject({ samples: 60, cpuAvg: 30, cpuMax: 50, memoryMax: 40 });
    expect(repo.latest('s-1')[0]?.at).toBe(new Date(t0 + 119_000).toISOString());
    expect(repo.prune(t0 + 30_000, 0, 10)).toEqual({ samples: 10, rollups: 0 });
    expect(repo.prune(t0 + 30_000, 0, 1000)).toEqual({ samples: 20, rollups: 0 });
    expect(repo.samples('s-1', 0)).toHaveLength(90);
    expect(repo.prune(0, t0 + 60_000)).toEqual({ samples: 0, rollups: 1 });
    expect(repo.rollups('s-1', 0)).toHaveLength(1);
  });
});

describe('alert rules', () => {
  it('fire once after the duration, resolve once, and are stored and published', () => {
    const repo = new MonitorRepository(openDatabase({ path: ':memory:' }).db);
    const bus = new EventBus();
    const seen: BerthEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const alerts = new AlertManager(repo, bus, silentLogger());
    const rules = { ...DEFAULT_ALERT_RULES, cpuPercent: 90, cpuForMs: 3000 };
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i <= 10; i++) alerts.evaluate(sample(t0 + i * 1000, 99), rules);
    expect(repo.alerts({ state: 'firing' })).toHaveLength(1);
    expect(repo.alerts()[0]).toMatchObject({ rule: 'cpu', threshold: 90, value: 99, firedAt: new Date(t0 + 3000).toISOString() });
    alerts.evaluate(sample(t0 + 11_000, 5), rules);
    alerts.evaluate(sample(t0 + 12_000, 5), rules);
    expect(repo.alerts({ state: 'resolved' })).toHaveLength(1);
    expect(seen.map((e) => e.type)).toEqual(['alert.fired', 'alert.resolved']);
    // A blip shorter than the duration does not fire.
    alerts.evaluate(sample(t0 + 20_000, 99), rules);
    alerts.evaluate(sample(t0 + 21_000, 5), rules);
    expect(repo.alerts()).toHaveLength(1);
    // Memory: percent of the limit.
    for (let i = 0; i <= 40; i++) alerts.evaluate(sample(t0 + 30_000 + i * 1000, 1, 95, 100), rules);
    expect(repo.alerts({ state: 'firing' }).map((a) => a.rule)).toEqual(['memory']);
  });
});

describe('counters', () => {
  it('computes CPU % of one core and reads the engine stats JSON like docker stats', () => {
    const a = { cpuNs: 1e9, memoryBytes: 0, memoryLimitBytes: 0, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 0 };
    expect(cpuPercent(a, { ...a, cpuNs: 1.5e9 }, 1000)).toBe(50);
    expect(cpuPercent(undefined, a, 1000)).toBe(0);
    const c = countersFromStats({
      cpu_stats: { cpu_usage: { total_usage: 42 } },
      memory_stats: { usage: 10_000, limit: 2 ** 62, stats: { total_inactive_file: 4000 } },
      networks: { eth0: { rx_bytes: 5, tx_bytes: 7 }, eth1: { rx_bytes: 1, tx_bytes: 1 } },
      blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 3 }, { op: 'Write', value: 9 }] },
      pids_stats: { current: 4 },
    });
    expect(c).toEqual({ cpuNs: 42, memoryBytes: 6000, memoryLimitBytes: 0, netRxBytes: 6, netTxBytes: 8, blockReadBytes: 3, blockWriteBytes: 9, pids: 4 });
  });
});

describe('cgroup reader', () => {
  const fake = (files: Record<string, string>) => {
    const root = mkdtempSync(join(tmpdir(), 'berth-cg-'));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    return root;
  };
  const netDev = 'Inter-|   Receive\n face |bytes packets\n    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n  eth0: 100 2 0 0 0 0 0 0 200 3 0 0 0 0 0 0\n';

  it('reads cgroup v1 (a directory per controller) through /proc/<pid>/cgroup', async () => {
    const root = fake({
      'proc/42/cgroup': '9:memory:/docker/abc\n8:cpuacct,cpu:/docker/abc\n7:pids:/docker/abc\n6:blkio:/docker/abc\n0::/docker/abc\n',
      'proc/42/net/dev': netDev,
      'cg/memory/docker/abc/memory.usage_in_bytes': '5000\n',
      'cg/memory/docker/abc/memory.limit_in_bytes': '9223372036854771712\n',
      'cg/memory/docker/abc/memory.stat': 'cache 10\ntotal_inactive_file 1000\n',
      'cg/memory/docker/abc/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      'cg/cpuacct/docker/abc/cpuacct.usage': '123456789\n',
      'cg/pids/docker/abc/pids.current': '7\n',
      'cg/blkio/docker/abc/blkio.throttle.io_service_bytes': '8:0 Read 10\n8:0 Write 20\n8:16 Read 1\nTotal 31\n',
    });
    const r = new CgroupReader(join(root, 'cg'), join(root, 'proc'));
    const p = await r.locate(42);
    expect(p?.version).toBe(1);
    const files = new FileCache();
    expect(r.read(p!, files)).toEqual({ cpuNs: 123456789, memoryBytes: 4000, memoryLimitBytes: 0, netRxBytes: 100, netTxBytes: 200, blockReadBytes: 11, blockWriteBytes: 20, pids: 7 });
    writeFileSync(join(root, 'cg/cpuacct/docker/abc/cpuacct.usage'), '223456789\n');
    expect(r.read(p!, files)?.cpuNs).toBe(223456789);
    expect(r.oomKills(p!)).toBe(2);
    files.close();
  });

  it('reads cgroup v2 (one unified directory)', async () => {
    const root = fake({
      'proc/7/cgroup': '0::/system.slice/libpod-abc.scope\n',
      'proc/7/net/dev': netDev,
      'cg/system.slice/libpod-abc.scope/cpu.stat': 'usage_usec 2500\nuser_usec 2000\n',
      'cg/system.slice/libpod-abc.scope/memory.current': '8192\n',
      'cg/system.slice/libpod-abc.scope/memory.max': '65536\n',
      'cg/system.slice/libpod-abc.scope/memory.stat': 'anon 1\ninactive_file 192\n',
      'cg/system.slice/libpod-abc.scope/memory.events': 'low 0\noom 1\noom_kill 1\n',
      'cg/system.slice/libpod-abc.scope/pids.current': '3\n',
      'cg/system.slice/libpod-abc.scope/io.stat': '8:0 rbytes=5 wbytes=6 rios=1 wios=1\n',
    });
    const r = new CgroupReader(join(root, 'cg'), join(root, 'proc'));
    const p = await r.locate(7);
    expect(p?.version).toBe(2);
    expect(r.read(p!)).toEqual({ cpuNs: 2_500_000, memoryBytes: 8000, memoryLimitBytes: 65536, netRxBytes: 100, netTxBytes: 200, blockReadBytes: 5, blockWriteBytes: 6, pids: 3 });
    expect(r.oomKills(p!)).toBe(1);
    expect(await r.locate(999)).toBeUndefined();
  });
});
