import { evaluateCondition, parseCondition } from './condition.js';
import { ancestors } from './dag.js';
import type { Workflow, WorkflowStep } from './workflow-spec.js';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Statuses after which a step changes no more. */
export const FINISHED_STEP: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** A file or directory a step exported, kept on the host until the run ends. */
export interface StepArtifact {
  /** The step that exported it. */
  step: string;
  /** Absolute path in the step's container (and in the dependants' containers). */
  path: string;
  /** Where the runner keeps it on the host. */
  hostPath: string;
  bytes: number;
}

/** What running a step's command gave. */
export interface StepOutcome {
  /** Absent when the command never ran (the container could not be made). */
  exitCode?: number;
  timedOut?: boolean;
  /** Why the step failed beyond its exit code. */
  error?: string;
  /** The end of stdout and stderr. */
  logTail: string;
  artifacts?: StepArtifact[];
}

/** A step's state in a run. Times are unix ms. */
export interface StepState {
  id: string;
  status: StepStatus;
  exitCode?: number;
  error?: string;
  logTail: string;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  artifacts: StepArtifact[];
}

export interface StepContext {
  /** Aborted when the run is cancelled or fails: stop the command and remove the container. */
  signal: AbortSignal;
  /** Artifacts of every step this one depends on (directly or not), in run order. */
  inputs: StepArtifact[];
}

/** Runs one step's command (the engine executor, or a fake in tests). Throwing fails the step with the error's message. */
export type StepExecutor = (step: WorkflowStep, ctx: StepContext) => Promise<StepOutcome>;

export interface RunDagOptions {
  execute: StepExecutor;
  /** Cancels the run: running steps are stopped, pending ones reported `cancelled`. */
  signal?: AbortSignal;
  /** Steps at once; default the workflow's `concurrency`. */
  concurrency?: number;
  /** Told of every step change (a copy of the step's state). */
  onStep?: (step: StepState) => void;
  now?: () => number;
}

export interface DagResult {
  status: Exclude<RunStatus, 'running'>;
  steps: StepState[];
}

/**
 * Runs a validated workflow's steps: each when all its needs have finished and its
 * condition holds (else `skipped`), independent ones in parallel up to the cap, in file
 * order when more are ready than fit. A failing step (without `continueOnError`) or an
 * abort stops the running steps and cancels the pending ones. Resolves when every step
 * has finished: `failed` if a step failed without `continueOnError`, `cancelled` on abort.
 */
export function runDag(wf: Workflow, o: RunDagOptions): Promise<DagResult> {
  const now = o.now ?? Date.now;
  const cap = o.concurrency ?? wf.concurrency;
  const graph = new Map(wf.steps.map((s) => [s.id, s.needs]));
  const conditions = new Map(wf.steps.map((s) => [s.id, parseCondition(s.if)]));
  const order = new Map(wf.steps.map((s, i) => [s.id, i]));
  const state = new Map<string, StepState>(wf.steps.map((s) => [s.id, { id: s.id, status: 'pending', logTail: '', artifacts: [] }]));
  const stop = new AbortController();
  let failed = false;
  let active = 0;
  const get = (id: string) => state.get(id)!;
  const set = (id: string, patch: Partial<StepState>) => {
    const s = Object.assign(get(id), patch);
    o.onStep?.({ ...s, artifacts: [...s.artifacts] });
  };
  const onAbort = () => stop.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise((resolvePromise) => {
    const finishStep = (step: WorkflowStep, outcome: StepOutcome, startedAt: number) => {
      active--;
      const endedAt = now();
      const ok = outcome.error === undefined && outcome.exitCode === 0 && !outcome.timedOut;
      const status: StepStatus = ok ? 'succeeded' : stop.signal.aborted ? 'cancelled' : 'failed';
      set(step.id, {
        status,
        ...(outcome.exitCode !== undefined ? { exitCode: outcome.exitCode } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : outcome.timedOut ? { error: `timed out after ${step.timeoutMs} ms` } : {}),
        logTail: outcome.logTail,
        endedAt,
        durationMs: endedAt - startedAt,
        artifacts: outcome.artifacts ?? [],
      });
      if (status === 'failed' && !step.continueOnError) {
        failed = true;
        stop.abort(new Error(`step ${step.id} failed`));
      }
      pump();
    };
    const start = (step: WorkflowStep) => {
      active++;
      const startedAt = now();
      set(step.id, { status: 'running', startedAt });
      const inputs = [...ancestors(graph, step.id)]
        .sort((a, b) => order.get(a)! - order.get(b)!)
        .flatMap((id) => get(id).artifacts);
      Promise.resolve()
        .then(() => o.execute(step, { signal: stop.signal, inputs }))
        .then(
          (outcome) => finishStep(step, outcome, startedAt),
          (err: unknown) => finishStep(step, { error: err instanceof Error ? err.message : String(err), logTail: '' }, startedAt),
        );
    };
    const pump = () => {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const step of wf.steps) {
          if (get(step.id).status !== 'pending') continue;
          const needs = step.needs.map(get);
          if (stop.signal.aborted) {
            if (needs.every((n) => FINISHED_STEP.has(n.status))) {
              set(step.id, { status: 'cancelled', error: failed ? 'cancelled: an earlier step failed' : 'cancelled' });
              progressed = true;
            }
            continue;
          }
          if (!needs.every((n) => FINISHED_STEP.has(n.status))) continue;
          const run = evaluateCondition(conditions.get(step.id)!, {
            success: needs.every((n) => n.status === 'succeeded'),
            failure: needs.some((n) => n.status === 'failed'),
            exitCode: (id) => get(id).exitCode,
          });
          if (!run) {
            set(step.id, { status: 'skipped' });
            progressed = true;
            continue;
          }
          if (active >= cap) continue;
          start(step);
        }
      }
      if (active === 0 && wf.steps.every((s) => FINISHED_STEP.has(get(s.id).status))) {
        o.signal?.removeEventListener('abort', onAbort);
        const steps = wf.steps.map((s) => ({ ...get(s.id) }));
        const status = failed ? 'failed' : stop.signal.aborted ? 'cancelled' : 'succeeded';
        resolvePromise({ status, steps });
      }
    };
    pump();
  });
}
