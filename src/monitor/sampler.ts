import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import type { RawCounters } from '../engine/stats.js';
import type { MonitorRepository } from '../store/monitor-repository.js';
import { bindingOf } from '../session/engine-binding.js';
import type { SessionRepository } from '../store/session-repository.js';
import { DEFAULT_ALERT_RULES, type AlertRules } from './alert-rules.js';
import type { AlertManager } from './alert-manager.js';
import { CgroupReader, FileCache, type CgroupPaths } from './cgroup-reader.js';
import { cpuPercent, type ResourceSample } from './resource-sample.js';

export interface SamplerOptions {
  engine: Engine;
  sessions: SessionRepository;
  store: MonitorRepository;
  alerts: AlertManager;
  log: Logger;
  /** Between ticks, ms; default 5000. */
  intervalMs?: number;
  /** `auto` (default): cgroup files when readable, else the engine's stats API; or force one. */
  source?: 'auto' | 'cgroup' | 'api';
  /** Raw samples are kept this long, ms; default one day. */
  rawRetentionMs?: number;
  /** Per-minute rollups are kept this long, ms; default 30 days. */
  rollupRetentionMs?: number;
  /** Rules under every session's own overrides (complete); default `DEFAULT_ALERT_RULES`. */
  rules?: AlertRules;
  /** Samples are written (and old ones pruned, in batches) at least this often, ms; default 10000. */
  flushMs?: number;
  /** Called with each tick's samples and how long the tick took (metrics). */
  onTick?: (samples: ResourceSample[], ms: number) => void;
  reader?: CgroupReader;
}

interface Seen {
  paths?: CgroupPaths;
  files?: FileCache;
  prev?: RawCounters;
  prevAt?: number;
}

/** Samples at most this many containers at once. */
const CONCURRENCY = 16;

/**
 * Samples every running engine session's container each interval: cgroup files first
 * (cheap: a few file reads), the engine's stats API when they can't be read. Stores the
 * samples (raw and rolled up; written in batches), feeds the alert rules and prunes old
 * data in small batches.
 * A tick that is still running when the next is due is not doubled.
 */
export class Sampler {
  private readonly seen = new Map<string, Seen>();
  private readonly reader: CgroupReader;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ResourceSample[]> | undefined;
  private lastFlush = Date.now();
  /** Duration of the last tick, ms. */
  lastTickMs = 0;

  constructor(private readonly o: SamplerOptions) {
    this.reader = o.reader ?? new CgroupReader();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick().catch((err: unknown) => this.o.log.warn({ err }, 'sampling failed')), this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    for (const s of this.seen.values()) s.files?.close();
    this.seen.clear();
    this.o.store.flush();
  }

  /** Running engine sessions now (what a tick reads). */
  runningCount(): number {
    return this.o.sessions.runningOnEngine().length;
  }

  /** One tick now (or the one in progress). */
  tick(): Promise<ResourceSample[]> {
    this.running ??= this.sampleAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sampleAll(): Promise<ResourceSample[]> {
    const t0 = performance.now();
    const sessions = this.o.sessions.runningOnEngine(false, bindingOf(this.o.engine.info));
    const live = new Set(sessions.map((s) => s.containerRef));
    for (const [id, seen] of this.seen) {
      if (live.has(id)) continue;
      seen.files?.close();
      this.seen.delete(id);
    }
    const samples: ResourceSample[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, sessions.length) }, async () => {
        while (next < sessions.length) {
          const s = sessions[next++]!;
          const sample = await this.sampleOne(s).catch((err: unknown) => void this.o.log.debug({ err, sessionId: s.id }, 'could not sample'));
          if (sample) samples.push(sample);
        }
      }),
    );
    this.o.store.insertSamples(samples);
    const byId = new Map(sessions.map((s) => [s.id, s]));
    for (const s of samples) this.o.alerts.evaluate(s, { ...(this.o.rules ?? DEFAULT_ALERT_RULES), ...byId.get(s.sessionId)?.alertRules });
    const now = Date.now();
    if (now - this.lastFlush >= (this.o.flushMs ?? 10_000)) {
      this.lastFlush = now;
      this.o.store.prune(now - (this.o.rawRetentionMs ?? 86_400_000), now - (this.o.rollupRetentionMs ?? 30 * 86_400_000));
    }
    this.lastTickMs = performance.now() - t0;
    this.o.onTick?.(samples, this.lastTickMs);
    return samples;
  }

  /**
   * OOM kills in a container's cgroup, read now from where the sampler found it (the
   * cgroup outlives the container's exit by a moment). For engines whose inspect does not
   * report `OOMKilled` (Podman with cgroup v1 here). Undefined when unknown.
   */
  async oomKills(containerId: string): Promise<number | undefined> {
    const paths = this.seen.get(containerId)?.paths;
    return paths ? this.reader.oomKills(paths) : undefined;
  }

  /** Reads one container; the first reading only primes the CPU counter (returns undefined). */
  private async sampleOne(s: { id: string; containerRef: string }): Promise<ResourceSample | undefined> {
    const id = s.containerRef;
    const seen = this.seen.get(id) ?? {};
    this.seen.set(id, seen);
    const got = await this.read(id, seen);
    if (!got) return undefined;
    const { counters, source } = got;
    const now = Date.now();
    const first = seen.prev === undefined;
    const cpu = cpuPercent(seen.prev, counters, now - (seen.prevAt ?? now));
    seen.prev = counters;
    seen.prevAt = now;
    if (first) return undefined;
    return {
      sessionId: s.id,
      at: new Date(now).toISOString(),
      cpuPercent: cpu,
      memoryBytes: counters.memoryBytes,
      memoryLimitBytes: counters.memoryLimitBytes,
      memoryPercent: counters.memoryLimitBytes ? Math.round((counters.memoryBytes / counters.memoryLimitBytes) * 10000) / 100 : 0,
      netRxBytes: counters.netRxBytes,
      netTxBytes: counters.netTxBytes,
      blockReadBytes: counters.blockReadBytes,
      blockWriteBytes: counters.blockWriteBytes,
      pids: counters.pids,
      source,
    };
  }

  private async read(id: string, seen: Seen): Promise<{ counters: RawCounters; source: 'cgroup' | 'api' } | undefined> {
    const mode = this.o.source ?? 'auto';
    if (mode !== 'api') {
      if (!seen.paths) {
        const pid = (await this.o.engine.inspectContainer(id)).State.Pid ?? 0;
        seen.paths = await this.reader.locate(pid);
        seen.files = new FileCache();
      }
      const counters = seen.paths && this.reader.read(seen.paths, seen.files);
      if (counters) return { counters, source: 'cgroup' };
      seen.files?.close();
      seen.paths = undefined;
      if (mode === 'cgroup') return undefined;
    }
    return { counters: await this.o.engine.containerStats(id), source: 'api' };
  }
}

/** Gap between the two readings of a session seen for the first time (CPU % needs two), ms. */
const PRIME_GAP_MS = 250;

/**
 * Samples every running session now, so a reader gets figures of this moment: a session
 * the sampler has not read before is read twice, `PRIME_GAP_MS` apart.
 */
export function sampleNowWith(sampler: Sampler): () => Promise<void> {
  return async () => {
    const got = await sampler.tick();
    if (got.length < sampler.runningCount()) {
      await new Promise((r) => setTimeout(r, PRIME_GAP_MS));
      await sampler.tick();
    }
  };
}
