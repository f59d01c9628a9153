import type { Database } from './database.js';
import type { RunStatus, StepState } from '../workflow/run-dag.js';
import type { WorkflowRun, WorkflowStepRecord } from '../workflow/workflow-run.js';
import type { Workflow } from '../workflow/workflow-spec.js';

interface RunRow {
  id: string;
  name: string;
  file: string;
  status: RunStatus;
  started_at: number;
  ended_at: number | null;
  error: string | null;
  labels: string;
  spec: string;
}

interface StepRow {
  run_id: string;
  step_id: string;
  status: WorkflowStepRecord['status'];
  exit_code: number | null;
  duration_ms: number | null;
  log_tail: string;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  artifacts: string;
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

function stepOf(r: StepRow): WorkflowStepRecord {
  const startedAt = iso(r.started_at);
  const endedAt = iso(r.ended_at);
  return {
    id: r.step_id,
    status: r.status,
    ...(r.exit_code !== null ? { exitCode: r.exit_code } : {}),
    ...(r.duration_ms !== null ? { durationMs: r.duration_ms } : {}),
    logTail: r.log_tail,
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    artifacts: JSON.parse(r.artifacts) as WorkflowStepRecord['artifacts'],
  };
}

/** Workflow runs and their steps. */
export class WorkflowRepository {
  constructor(private readonly db: Database) {}

  /** A new run, `running`, with every step `pending`. */
  insertRun(run: { id: string; file: string; labels: Record<string, string>; spec: Workflow; startedAt: number }): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO workflow_runs (id, name, file, status, started_at, labels, spec) VALUES (?, ?, ?, 'running', ?, ?, ?)`)
        .run(run.id, run.spec.name, run.file, run.startedAt, JSON.stringify(run.labels), JSON.stringify(run.spec));
      const step = this.db.prepare(`INSERT INTO workflow_steps (run_id, step_id, position, status) VALUES (?, ?, ?, 'pending')`);
      run.spec.steps.forEach((s, i) => step.run(run.id, s.id, i));
    })();
  }

  updateStep(runId: string, s: StepState): void {
    this.db
      .prepare(
        `UPDATE workflow_steps SET status = ?, exit_code = ?, duration_ms = ?, log_tail = ?, started_at = ?, ended_at = ?, error = ?, artifacts = ?
         WHERE run_id = ? AND step_id = ?`,
      )
      .run(
        s.status,
        s.exitCode ?? null,
        s.durationMs ?? null,
        s.logTail.slice(-4096),
        s.startedAt ?? null,
        s.endedAt ?? null,
        s.error ?? null,
        JSON.stringify(s.artifacts.map((a) => ({ path: a.path, bytes: a.bytes }))),
        runId,
        s.id,
      );
  }

  finishRun(id: string, status: RunStatus, endedAt: number, error?: string): void {
    this.db.prepare(`UPDATE workflow_runs SET status = ?, ended_at = ?, error = ? WHERE id = ?`).run(status, endedAt, error ?? null, id);
  }

  /**
   * Runs left `running` by a process that is gone (a daemon restart): `failed`, and their
   * unfinished steps `cancelled`. Returns their ids.
   */
  failInterrupted(except: ReadonlySet<string>, at: number): string[] {
    const ids = (this.db.prepare(`SELECT id FROM workflow_runs WHERE status = 'running'`).all() as Array<{ id: string }>).map((r) => r.id).filter((id) => !except.has(id));
    for (const id of ids) {
      this.db.transaction(() => {
        this.db.prepare(`UPDATE workflow_steps SET status = 'cancelled', error = 'interrupted: the daemon stopped' WHERE run_id = ? AND status IN ('pending', 'running')`).run(id);
        this.finishRun(id, 'failed', at, 'interrupted: the daemon stopped during the run');
      })();
    }
    return ids;
  }

  get(id: string): WorkflowRun | undefined {
    const r = this.db.prepare(`SELECT * FROM workflow_runs WHERE id = ?`).get(id) as RunRow | undefined;
    return r && this.withSteps(r);
  }

  /** Newest first. */
  list(limit = 50): WorkflowRun[] {
    return (this.db.prepare(`SELECT * FROM workflow_runs ORDER BY started_at DESC, id LIMIT ?`).all(limit) as RunRow[]).map((r) => this.withSteps(r));
  }

  private withSteps(r: RunRow): WorkflowRun {
    const steps = (this.db.prepare(`SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY position`).all(r.id) as StepRow[]).map(stepOf);
    const endedAt = iso(r.ended_at);
    return {
      id: r.id,
      name: r.name,
      file: r.file,
      status: r.status,
      startedAt: iso(r.started_at)!,
      ...(endedAt ? { endedAt, durationMs: r.ended_at! - r.started_at } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      labels: JSON.parse(r.labels) as Record<string, string>,
      spec: JSON.parse(r.spec) as Workflow,
      steps,
    };
  }
}
