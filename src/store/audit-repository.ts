import type { Database } from './database.js';
import { clip } from './audit-limits.js';

/** One state-changing request, as the audit log keeps it. */
export interface AuditEntry {
  id: number;
  /** Unix ms. */
  at: number;
  /** `uid:<n>` (unix socket), `token:<id>` (TCP, a hash prefix of the token), `tcp:unauthenticated`, `local` (in-process). */
  actor: string;
  /** The TCP peer (`address:port`); empty on the unix socket. */
  peer: string;
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

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'peer'> & { peer?: string };

/** Append-only audit log in SQLite, with retention (`prune`). */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /** Appends one row; every text field is cut to `AUDIT_FIELD_BYTES`. */
  append(e: NewAuditEntry): void {
    this.db
      .prepare(`INSERT INTO audit_log (at, actor, action, target, result, status, duration_ms, request_id, peer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(e.at, clip(e.actor), clip(e.action), clip(e.target), clip(e.result), e.status, e.durationMs, clip(e.requestId), clip(e.peer ?? ''));
  }

  /** Removes rows older than `maxAgeMs` before `now`, then the oldest beyond `maxRows`. Returns how many went. */
  prune(o: { maxRows: number; maxAgeMs: number; now: number }): number {
    return this.db
      .transaction(() => {
        const old = this.db.prepare(`DELETE FROM audit_log WHERE at < ?`).run(o.now - o.maxAgeMs).changes;
        const over = this.db.prepare(`DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)`).run(o.maxRows).changes;
        return old + over;
      })
      .immediate();
  }

  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM audit_log`).get() as { n: number }).n;
  }

  /** Entries at or after `since` (unix ms; default all), oldest first, at most `limit` (default 1000, the newest ones). */
  list(o: { since?: number; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT id, at, actor, peer, action, target, result, status, duration_ms AS durationMs, request_id AS requestId
           FROM audit_log WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
      )
      .all(o.since ?? 0, o.limit ?? 1000) as AuditEntry[];
    return rows;
  }
}
