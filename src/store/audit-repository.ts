import type { Database } from './database.js';

/** One state-changing request, as the audit log keeps it. */
export interface AuditEntry {
  id: number;
  /** Unix ms. */
  at: number;
  /** `uid:<n>` (unix socket), `token:<id>` (TCP, a hash prefix of the token), `local` (in-process). */
  actor: string;
  /** Method and route, e.g. `POST /v1/sessions`. */
  action: string;
  /** The object acted on (session id or name, volume, network …), or empty. */
  target: string;
  /** `ok`, or the error code. */
  result: string;
  status: number;
  durationMs: number;
  requestId: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** Append-only audit log in SQLite. */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  append(e: NewAuditEntry): void {
    this.db
      .prepare(`INSERT INTO audit_log (at, actor, action, target, result, status, duration_ms, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(e.at, e.actor, e.action, e.target, e.result, e.status, e.durationMs, e.requestId);
  }

  /** Entries at or after `since` (unix ms; default all), oldest first, at most `limit` (default 1000, the newest ones). */
  list(o: { since?: number; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT id, at, actor, action, target, result, status, duration_ms AS durationMs, request_id AS requestId
           FROM audit_log WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
      )
      .all(o.since ?? 0, o.limit ?? 1000) as AuditEntry[];
    return rows;
  }
}
