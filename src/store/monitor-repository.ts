import type { ResourceSample } from '../monitor/resource-sample.js';
import type { Database } from './database.js';

export interface Rollup {
  sessionId: string;
  /** ISO start of the minute. */
  minute: string;
  samples: number;
  cpuAvg: number;
  cpuMax: number;
  memoryAvg: number;
  memoryMax: number;
}

export interface StoredAlert {
  id: number;
  sessionId: string;
  rule: string;
  threshold?: number;
  value?: number;
  message: string;
  state: 'firing' | 'resolved';
  firedAt: string;
  resolvedAt?: string;
}

interface SampleRow {
  session_id: string; at: number; cpu_percent: number; mem_bytes: number; mem_limit: number; net_rx: number; net_tx: number;
  blk_read: number; blk_write: number; pids: number; source: 'cgroup' | 'api';
}
interface AlertRow {
  id: number; session_id: string; rule: string; threshold: number | null; value: number | null; message: string; state: 'firing' | 'resolved';
  fired_at: number; resolved_at: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const MINUTE = 60_000;

const toSample = (r: SampleRow): ResourceSample => ({
  sessionId: r.session_id,
  at: iso(r.at),
  cpuPercent: r.cpu_percent,
  memoryBytes: r.mem_bytes,
  memoryLimitBytes: r.mem_limit,
  memoryPercent: r.mem_limit ? Math.round((r.mem_bytes / r.mem_limit) * 10000) / 100 : 0,
  netRxBytes: r.net_rx,
  netTxBytes: r.net_tx,
  blockReadBytes: r.blk_read,
  blockWriteBytes: r.blk_write,
  pids: r.pids,
  source: r.source,
});

const toAlert = (r: AlertRow): StoredAlert => ({
  id: r.id,
  sessionId: r.session_id,
  rule: r.rule,
  ...(r.threshold !== null ? { threshold: r.threshold } : {}),
  ...(r.value !== null ? { value: r.value } : {}),
  message: r.message,
  state: r.state,
  firedAt: iso(r.fired_at),
  ...(r.resolved_at !== null ? { resolvedAt: iso(r.resolved_at) } : {}),
});

/** Resource samples (raw and per-minute rollups, with retention) and alerts. */
export class MonitorRepository {
  constructor(private readonly db: Database) {}

  /** Samples not yet written: writes are batched (one transaction, one fsync, per flush). */
  private pending: ResourceSample[] = [];

  /**
   * Queues a tick's samples. They are written by `flush()` (the sampler calls it every
   * few seconds, and every read here does first, so reads always see them); a crash
   * loses at most the samples since the last flush.
   */
  insertSamples(samples: ResourceSample[]): void {
    this.pending.push(...samples);
    if (this.pending.length >= 50_000) this.flush();
  }

  /** Writes the queued samples and folds them into their minutes' rollups, in one transaction. */
  flush(): void {
    if (!this.pending.length) return;
    const samples = this.pending;
    this.pending = [];
    const ins = this.db.prepare(
      `INSERT INTO resource_samples (session_id, at, cpu_percent, mem_bytes, mem_limit, net_rx, net_tx, blk_read, blk_write, pids, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const roll = this.db.prepare(
      `INSERT INTO resource_rollups (session_id, minute, n, cpu_sum, cpu_max, mem_sum, mem_max) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(session_id, minute) DO UPDATE SET n = n + excluded.n, cpu_sum = cpu_sum + excluded.cpu_sum, cpu_max = MAX(cpu_max, excluded.cpu_max),
         mem_sum = mem_sum + excluded.mem_sum, mem_max = MAX(mem_max, excluded.mem_max)`,
    );
    const groups = new Map<string, { id: string; minute: number; n: number; cpuSum: number; cpuMax: number; memSum: number; memMax: number }>();
    this.db
      .transaction(() => {
        for (const s of samples) {
          const at = Date.parse(s.at);
          ins.run(s.sessionId, at, s.cpuPercent, s.memoryBytes, s.memoryLimitBytes, s.netRxBytes, s.netTxBytes, s.blockReadBytes, s.blockWriteBytes, s.pids, s.source);
          const minute = at - (at % MINUTE);
          const key = `${s.sessionId}/${minute}`;
          const g = groups.get(key) ?? { id: s.sessionId, minute, n: 0, cpuSum: 0, cpuMax: 0, memSum: 0, memMax: 0 };
          g.n += 1;
          g.cpuSum += s.cpuPercent;
          g.cpuMax = Math.max(g.cpuMax, s.cpuPercent);
          g.memSum += s.memoryBytes;
          g.memMax = Math.max(g.memMax, s.memoryBytes);
          groups.set(key, g);
        }
        for (const g of groups.values()) roll.run(g.id, g.minute, g.n, g.cpuSum, g.cpuMax, g.memSum, g.memMax);
      })
      .immediate();
  }

  /** The newest sample of each session (of `sessionId` only, when given). */
  latest(sessionId?: string): ResourceSample[] {
    this.flush();
    const rows = this.db
      .prepare(
        `SELECT s.* FROM resource_samples s
         JOIN (SELECT session_id, MAX(at) AS at FROM resource_samples ${sessionId ? 'WHERE session_id = ?' : ''} GROUP BY session_id) m
           ON m.session_id = s.session_id AND m.at = s.at ORDER BY s.session_id`,
      )
      .all(...(sessionId ? [sessionId] : [])) as SampleRow[];
    return rows.map(toSample);
  }

  samples(sessionId: string, sinceMs: number, limit = 10_000): ResourceSample[] {
    this.flush();
    const rows = this.db.prepare(`SELECT * FROM resource_samples WHERE session_id = ? AND at >= ? ORDER BY at LIMIT ?`).all(sessionId, sinceMs, limit) as SampleRow[];
    return rows.map(toSample);
  }

  rollups(sessionId: string, sinceMs: number): Rollup[] {
    this.flush();
    const rows = this.db.prepare(`SELECT * FROM resource_rollups WHERE session_id = ? AND minute >= ? ORDER BY minute`).all(sessionId, sinceMs) as Array<{
      session_id: string; minute: number; n: number; cpu_sum: number; cpu_max: number; mem_sum: number; mem_max: number;
    }>;
    return rows.map((r) => ({
      sessionId: r.session_id, minute: iso(r.minute), samples: r.n,
      cpuAvg: Math.round((r.cpu_sum / r.n) * 100) / 100, cpuMax: r.cpu_max, memoryAvg: Math.round(r.mem_sum / r.n), memoryMax: r.mem_max,
    }));
  }

  /**
   * Deletes raw samples older than `rawBeforeMs` and rollups older than `rollupBeforeMs`,
   * at most `batch` rows of each per call (so a long backlog never blocks requests).
   * Returns the rows deleted.
   */
  prune(rawBeforeMs: number, rollupBeforeMs: number, batch = 5000): { samples: number; rollups: number } {
    this.flush();
    const samples = this.db.prepare(`DELETE FROM resource_samples WHERE rowid IN (SELECT rowid FROM resource_samples WHERE at < ? LIMIT ?)`).run(rawBeforeMs, batch).changes;
    const rollups = this.db.prepare(`DELETE FROM resource_rollups WHERE rowid IN (SELECT rowid FROM resource_rollups WHERE minute < ? LIMIT ?)`).run(rollupBeforeMs, batch).changes;
    return { samples, rollups };
  }

  fireAlert(a: { sessionId: string; rule: string; threshold?: number; value?: number; message: string; at: number }): StoredAlert {
    const r = this.db
      .prepare(`INSERT INTO alerts (session_id, rule, threshold, value, message, state, fired_at) VALUES (?, ?, ?, ?, ?, 'firing', ?)`)
      .run(a.sessionId, a.rule, a.threshold ?? null, a.value ?? null, a.message, a.at);
    return toAlert(this.db.prepare(`SELECT * FROM alerts WHERE id = ?`).get(r.lastInsertRowid) as AlertRow);
  }

  resolveAlert(id: number, at: number): StoredAlert | undefined {
    this.db.prepare(`UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE id = ? AND state = 'firing'`).run(at, id);
    const r = this.db.prepare(`SELECT * FROM alerts WHERE id = ?`).get(id) as AlertRow | undefined;
    return r && toAlert(r);
  }

  alerts(filter: { state?: 'firing' | 'resolved'; sessionId?: string; limit?: number } = {}): StoredAlert[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state) (where.push('state = ?'), args.push(filter.state));
    if (filter.sessionId) (where.push('session_id = ?'), args.push(filter.sessionId));
    const rows = this.db
      .prepare(`SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, filter.limit ?? 1000) as AlertRow[];
    return rows.map(toAlert);
  }
}
