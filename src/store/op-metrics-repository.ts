import type { Database } from './database.js';

/** Per operation kind: how often, how it went, how long on average. */
export interface OpMetrics {
  kind: string;
  count: number;
  success: number;
  failure: number;
  /** Served by the local backend because the engine was unavailable. */
  fallback: number;
  avgMs: number;
}

/** Counters per operation kind (files API), persisted in SQLite. */
export class OpMetricsRepository {
  constructor(private readonly db: Database) {}

  record(kind: string, ok: boolean, ms: number, fallback = false): void {
    this.db
      .prepare(
        `INSERT INTO op_metrics (kind, count, success, failure, fallback, total_ms) VALUES (?, 1, ?, ?, ?, ?)
         ON CONFLICT(kind) DO UPDATE SET count = count + 1, success = success + excluded.success,
           failure = failure + excluded.failure, fallback = fallback + excluded.fallback, total_ms = total_ms + excluded.total_ms`,
      )
      .run(kind, ok ? 1 : 0, ok ? 0 : 1, fallback ? 1 : 0, ms);
  }

  all(): OpMetrics[] {
    const rows = this.db.prepare(`SELECT kind, count, success, failure, fallback, total_ms FROM op_metrics ORDER BY kind`).all() as Array<{
      kind: string; count: number; success: number; failure: number; fallback: number; total_ms: number;
    }>;
    return rows.map((r) => ({ kind: r.kind, count: r.count, success: r.success, failure: r.failure, fallback: r.fallback, avgMs: r.count ? Math.round((r.total_ms / r.count) * 10) / 10 : 0 }));
  }
}
