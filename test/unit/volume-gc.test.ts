import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { VolumeRepository } from '../../src/store/volume-repository.js';
import { cleanupPolicySchema, planGc, type CleanupPolicy, type PlanInput } from '../../src/volume/cleanup-policy.js';
import { sessionVolumesSchema, cacheVolumeName } from '../../src/volume/session-volumes.js';
import type { VolumeRecord } from '../../src/volume/volume.js';
import type { Logger } from '../../src/common/logger.js';
import { GcScheduler } from '../../src/volume/gc-scheduler.js';
import type { GcResult } from '../../src/volume/volumes-api.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The fake clock: every time below is relative to it. */
const NOW = Date.parse('2026-06-01T00:00:00Z');

const vol = (name: string, o: Partial<VolumeRecord> = {}): VolumeRecord => ({
  name,
  engine: 'docker',
  kind: 'cache',
  createdAt: NOW - DAY,
  lastUsedAt: NOW - HOUR,
  labels: {},
  ...o,
});

const off: CleanupPolicy = { onSessionEnd: false };

function plan(volumes: VolumeRecord[], policy: CleanupPolicy, o: Partial<PlanInput> = {}) {
  return planGc({ volumes, inUse: new Set(), sessionLive: () => true, policy, now: NOW, ...o });
}

describe('planGc (fake clock)', () => {
  it('chooses nothing when every rule is off', () => {
    expect(plan([vol('a', { lastUsedAt: NOW - 365 * DAY })], off)).toEqual([]);
  });

  it('onSessionEnd: workspace and logs of sessions that no longer live, not caches, not live sessions', () => {
    const volumes = [
      vol('ws-dead', { kind: 'workspace', ownerSessionId: 's-dead' }),
      vol('logs-dead', { kind: 'logs', ownerSessionId: 's-dead' }),
      vol('ws-live', { kind: 'workspace', ownerSessionId: 's-live' }),
      vol('cache', { kind: 'cache' }),
    ];
    const r = plan(volumes, { onSessionEnd: true }, { sessionLive: (id) => id === 's-live' });
    expect(r.map((c) => [c.name, c.reason])).toEqual([
      ['ws-dead', 'session-ended'],
      ['logs-dead', 'session-ended'],
    ]);
    expect(plan(volumes, off, { sessionLive: (id) => id === 's-live' })).toEqual([]);
  });

  it('unusedForMs: last used at least that long ago, by the clock', () => {
    const volumes = [vol('old', { lastUsedAt: NOW - 3 * DAY }), vol('edge', { lastUsedAt: NOW - 2 * DAY }), vol('fresh', { lastUsedAt: NOW - 2 * DAY + 1 })];
    expect(plan(volumes, { onSessionEnd: false, unusedForMs: 2 * DAY }).map((c) => [c.name, c.reason])).toEqual([
      ['old', 'unused'],
      ['edge', 'unused'],
    ]);
    // The same rows an hour later: `fresh` has crossed the line too.
    expect(plan(volumes, { onSessionEnd: false, unusedForMs: 2 * DAY }, { now: NOW + HOUR }).map((c) => c.name)).toEqual(['old', 'edge', 'fresh']);
  });

  it('olderThanMs: created that long ago, however recently used', () => {
    const volumes = [vol('ancient', { createdAt: NOW - 30 * DAY, lastUsedAt: NOW - 1 }), vol('young', { createdAt: NOW - DAY })];
    expect(plan(volumes, { onSessionEnd: false, olderThanMs: 7 * DAY }).map((c) => [c.name, c.reason])).toEqual([['ancient', 'older-than']]);
  });

  it('maxTotalBytes: removes the longest unused first until the total fits', () => {
    const volumes = [
      vol('recent', { sizeBytes: 400, lastUsedAt: NOW - HOUR }),
      vol('oldest', { sizeBytes: 300, lastUsedAt: NOW - 5 * DAY }),
      vol('middle', { sizeBytes: 200, lastUsedAt: NOW - 2 * DAY }),
      vol('unknown-size', { lastUsedAt: NOW - 9 * DAY }),
    ];
    // total 900 > 500: oldest (300) → 600, still over; middle (200) → 400, fits. The unmeasured one frees nothing.
    expect(plan(volumes, { onSessionEnd: false, maxTotalBytes: 500 }).map((c) => [c.name, c.reason])).toEqual([
      ['oldest', 'over-budget'],
      ['middle', 'over-budget'],
    ]);
    expect(plan(volumes, { onSessionEnd: false, maxTotalBytes: 900 })).toEqual([]);
  });

  it('the budget counts volumes other rules already chose as gone', () => {
    const volumes = [vol('stale', { sizeBytes: 600, lastUsedAt: NOW - 10 * DAY }), vol('a', { sizeBytes: 300, lastUsedAt: NOW - 2 * DAY }), vol('b', { sizeBytes: 300, lastUsedAt: NOW - DAY })];
    expect(plan(volumes, { onSessionEnd: false, unusedForMs: 7 * DAY, maxTotalBytes: 500 }).map((c) => [c.name, c.reason])).toEqual([
      ['stale', 'unused'],
      ['a', 'over-budget'],
    ]);
  });

  it('never chooses a volume in use, whatever the rules say', () => {
    const volumes = [
      vol('busy-ws', { kind: 'workspace', ownerSessionId: 's-dead', createdAt: NOW - 99 * DAY, lastUsedAt: NOW - 99 * DAY, sizeBytes: 10_000 }),
      vol('idle', { sizeBytes: 10, lastUsedAt: NOW - 99 * DAY }),
    ];
    const all: CleanupPolicy = { onSessionEnd: true, unusedForMs: 1, olderThanMs: 1, maxTotalBytes: 0 };
    const r = plan(volumes, { ...all, maxTotalBytes: 1 }, { inUse: new Set(['busy-ws']), sessionLive: () => false });
    expect(r.map((c) => c.name)).toEqual(['idle']);
    expect(r.map((c) => c.name)).not.toContain('busy-ws');
  });

  it('the config schema takes the policy fields and refuses bad ones', () => {
    expect(cleanupPolicySchema.parse({ onSessionEnd: false, unusedForMs: 0, maxTotalBytes: 1024 })).toEqual({ onSessionEnd: false, unusedForMs: 0, maxTotalBytes: 1024 });
    expect(cleanupPolicySchema.safeParse({ unusedForMs: -1 }).success).toBe(false);
    expect(cleanupPolicySchema.safeParse({ budget: 1 }).success).toBe(false);
  });
});

describe('session volumes request', () => {
  it('accepts a workspace, caches and logs; refuses a bad size, relative targets and two mounts on one path', () => {
    expect(sessionVolumesSchema.safeParse({ workspace: { type: 'tmpfs', size: '64m' }, caches: [{ key: 'npm', target: '/cache/npm' }], logs: true }).success).toBe(true);
    const r = sessionVolumesSchema.safeParse({ workspace: { type: 'tmpfs', size: 'lots' }, caches: [{ key: 'a', target: 'rel' }, { key: 'b', target: '/var/log/berth' }], logs: true });
    expect(r.success).toBe(false);
    const paths = r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['workspace.size', 'caches.0.target', 'logs']));
  });

  it('names a cache volume by instance and key: stable, and different across instances', () => {
    expect(cacheVolumeName('i1', 'npm')).toBe(cacheVolumeName('i1', 'npm'));
    expect(cacheVolumeName('i1', 'npm')).not.toBe(cacheVolumeName('i2', 'npm'));
    expect(cacheVolumeName('i1', 'npm')).toMatch(/^berth-cache-[0-9a-f]{24}$/);
  });
});

describe('VolumeRepository', () => {
  it('inserts once, filters by kind, owner and labels, touches forward only, records sizes, deletes', () => {
    const { db } = openDatabase({ path: ':memory:' });
    const repo = new VolumeRepository(db);
    repo.insertIfMissing(vol('c1', { labels: { 'berth.test.run': 'x', team: 'a' } }));
    repo.insertIfMissing(vol('w1', { kind: 'workspace', ownerSessionId: 's-1' }));
    expect(repo.insertIfMissing(vol('c1', { kind: 'logs' })).kind).toBe('cache');
    expect(repo.list({ kind: 'workspace' }).map((v) => v.name)).toEqual(['w1']);
    expect(repo.list({ ownerSessionId: 's-1' }).map((v) => v.name)).toEqual(['w1']);
    expect(repo.list({ labels: { 'berth.test.run': 'x' } }).map((v) => v.name)).toEqual(['c1']);
    expect(repo.list({ labels: { team: 'b' } })).toEqual([]);
    repo.touch(['c1'], NOW);
    repo.touch(['c1'], NOW - DAY);
    expect(repo.get('c1')?.lastUsedAt).toBe(NOW);
    repo.setSizes(new Map([['c1', 42], ['w1', null]]));
    expect(repo.get('c1')?.sizeBytes).toBe(42);
    expect(repo.get('w1')?.sizeBytes).toBeUndefined();
    expect(repo.delete('c1')).toBe(true);
    expect(repo.delete('c1')).toBe(false);
    db.close();
  });
});

describe('GcScheduler', () => {
  it('runs one gc at a time, survives a failed run, and stop() waits for the run under way', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const gc = () => {
      calls += 1;
      if (calls === 2) return Promise.reject(new Error('engine gone'));
      return new Promise<GcResult>((resolve) => (release = () => resolve({ dryRun: false, at: '', policy: { onSessionEnd: true }, entries: [], keptCount: 0, keptBytes: 0 })));
    };
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
    const s = new GcScheduler({ gc, intervalMs: 0, log });
    const a = s.runOnce();
    const b = s.runOnce();
    expect(calls).toBe(1);
    release();
    await Promise.all([a, b]);
    await s.runOnce();
    expect(calls).toBe(2);
    expect(warnings).toEqual(['volume gc failed']);
    const c = s.runOnce();
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await Promise.all([c, stopping]);
    expect(stopped).toBe(true);
  });
});
