import type { Database } from './database.js';

/** A process group started in a local sandbox, and the marker in its environment. */
export interface LocalGroupRecord {
  pgid: number;
  /** The group's `BERTH_EXEC_ID`. */
  marker: string;
  /** The leader's start time (`/proc/<pid>/stat` starttime), when it could be read. */
  leaderStart?: number;
}

/** Process groups of local sandboxes (by directory), kept so a restarted daemon can still stop them. */
export class LocalGroupRepository {
  constructor(private readonly db: Database) {}

  add(dir: string, g: LocalGroupRecord, now: number): void {
    this.db
      .prepare(`INSERT INTO local_process_groups (dir, pgid, marker, leader_start, started_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(dir, pgid) DO UPDATE SET marker = excluded.marker, leader_start = excluded.leader_start, started_at = excluded.started_at`,
      )
      .run(dir, g.pgid, g.marker, g.leaderStart ?? null, now);
  }

  list(dir: string): LocalGroupRecord[] {
    const rows = this.db.prepare(`SELECT pgid, marker, leader_start FROM local_process_groups WHERE dir = ? ORDER BY started_at`).all(dir) as Array<{ pgid: number; marker: string; leader_start: number | null }>;
    return rows.map((r) => ({ pgid: r.pgid, marker: r.marker, ...(r.leader_start !== null ? { leaderStart: r.leader_start } : {}) }));
  }

  remove(dir: string, pgid: number): void {
    this.db.prepare(`DELETE FROM local_process_groups WHERE dir = ? AND pgid = ?`).run(dir, pgid);
  }
}
