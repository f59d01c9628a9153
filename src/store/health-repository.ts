import type { HealthStatus } from '../health/health-policy.js';
import type { Database } from './database.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Health changes and restarts per session. */
export class HealthRepository {
  constructor(private readonly db: Database) {}

  recordChange(sessionId: string, status: HealthStatus, output: string, at: number): void {
    this.db.prepare(`INSERT INTO health_events (session_id, at, status, output) VALUES (?, ?, ?, ?)`).run(sessionId, at, status, output.slice(0, 4096));
  }

  recordRestart(sessionId: string, attempt: number, reason: string, at: number): void {
    this.db.prepare(`INSERT INTO session_restarts (session_id, at, attempt, reason) VALUES (?, ?, ?, ?)`).run(sessionId, at, attempt, reason);
  }

  restarts(sessionId: string): Array<{ at: string; attempt: number; reason: string }> {
    return (this.db.prepare(`SELECT at, attempt, reason FROM session_restarts WHERE session_id = ? ORDER BY id`).all(sessionId) as Array<{ at: number; attempt: number; reason: string }>).map((r) => ({ ...r, at: iso(r.at) }));
  }

  changes(sessionId: string, limit = 50): Array<{ at: string; status: HealthStatus; output: string }> {
    return (this.db.prepare(`SELECT at, status, output FROM health_events WHERE session_id = ? ORDER BY id DESC LIMIT ?`).all(sessionId, limit) as Array<{ at: number; status: HealthStatus; output: string }>)
      .map((r) => ({ ...r, at: iso(r.at) }))
      .reverse();
  }
}
