import { describe, expect, it } from 'vitest';
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
