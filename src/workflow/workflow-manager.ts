import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BerthError, invalidArgument } from '../common/errors.js';
import { randomId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import type { FilesApi } from '../files/files-api.js';
import type { SessionsApi } from '../session/sessions-api.js';
import { problemsFromZod } from '../spec/validate.js';
import type { WorkflowRepository } from '../store/workflow-repository.js';
import { parseWorkflow } from './parse-workflow.js';
import { runDag, type StepExecutor } from './run-dag.js';
import { sessionExecutor, WORKFLOW_LABELS } from './session-executor.js';
import { DEFAULT_SECRET_ENV_PATTERNS, nameMatcher, splitEnv } from '../session/secret-env.js';
import { FINISHED_RUN, type ListWorkflowRunsRequest, type StartWorkflowRequest, type WorkflowRun, type WorkflowsApi } from './workflow-run.js';

export const startWorkflowSchema = z.strictObject({
  source: z.string().min(1, 'is the workflow file text (YAML)').max(1024 * 1024),
  file: z.string().max(4096).optional(),
  baseDir: z.string().regex(/^\//, 'must be an absolute host path').optional(),
  labels: z.record(z.string().min(1), z.string()).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

export interface WorkflowManagerOptions {
  sessions: SessionsApi;
  files: FilesApi;
  repo: WorkflowRepository;
  /** Host directory for runs' artifacts while they run (one subdirectory per run, removed after). */
  workDir: string;
  log: Logger;
  /** Variant names steps may use (built on first use by the session manager); default none. */
  variants?: readonly string[];
  /** Replaces the session executor (tests of the scheduling only). */
  executor?: (runId: string, labels: Record<string, string>, artifactsDir: string) => StepExecutor;
  /** Names whose env values are secret: the stored run shows `***` for them. Default the default patterns. */
  secretEnvPatterns?: readonly string[];
}

interface ActiveRun {
  abort: AbortController;
  done: Promise<WorkflowRun>;
}

/** Starts, follows, cancels and lists workflow runs; persists every run and step. */
export class WorkflowManager implements WorkflowsApi {
  private readonly active = new Map<string, ActiveRun>();
  private readonly changes = new EventEmitter();

  constructor(private readonly o: WorkflowManagerOptions) {
    this.changes.setMaxListeners(0);
  }

  async start(input: StartWorkflowRequest): Promise<WorkflowRun> {
    const r = startWorkflowSchema.safeParse(input);
    if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'workflow request');
    const req = r.data;
    const wf = parseWorkflow(req.source, {
      ...(req.baseDir ? { baseDir: req.baseDir } : {}),
      ...(req.file ? { file: req.file } : {}),
      ...(this.o.variants ? { variants: this.o.variants } : {}),
    });
    const id = `wf-${randomId(6)}`;
    const labels = req.labels ?? {};
    const artifactsDir = join(this.o.workDir, id);
    await mkdir(artifactsDir, { recursive: true, mode: 0o700 });
    const secret = nameMatcher(this.o.secretEnvPatterns ?? DEFAULT_SECRET_ENV_PATTERNS);
    const stored = { ...wf, steps: wf.steps.map((st) => ({ ...st, env: splitEnv(st.env, secret).shown })) };
    this.o.repo.insertRun({ id, file: req.file ?? '', labels, spec: stored, startedAt: Date.now() });
    const log = this.o.log.child({ workflowRun: id });
    const abort = new AbortController();
    const execute =
      this.o.executor?.(id, labels, artifactsDir) ??
      sessionExecutor({
        sessions: this.o.sessions,
        files: this.o.files,
        runId: id,
        labels,
        artifactsDir,
      });
    const done = runDag(wf, {
      execute,
      signal: abort.signal,
      ...(req.concurrency ? { concurrency: req.concurrency } : {}),
      onStep: (s) => {
        try {
          this.o.repo.updateStep(id, s);
        } catch (err) {
          log.error({ err, step: s.id }, 'could not record a workflow step (the run goes on)');
        }
        if (s.status !== 'running') log.info({ step: s.id, status: s.status, exitCode: s.exitCode }, 'workflow step finished');
        this.changes.emit(id);
      },
    })
      .then(
        (res) => {
          const failedStep = res.steps.find((s) => s.status === 'failed');
          const error = res.status === 'failed' ? `step ${failedStep?.id ?? '?'} failed` : res.status === 'cancelled' ? 'cancelled by request' : undefined;
          this.o.repo.finishRun(id, res.status, Date.now(), error);
        },
        (err: unknown) => this.o.repo.finishRun(id, 'failed', Date.now(), BerthError.from(err).message),
      )
      .then(async () => {
        await rm(artifactsDir, { recursive: true, force: true });
        this.active.delete(id);
        const run = this.require(id);
        log.info({ status: run.status, durationMs: run.durationMs }, 'workflow run finished');
        this.changes.emit(id);
        return run;
      });
    // Nobody may await `done` (no watch, no cancel): its failure is logged here, and still reaches those who do.
    done.catch((err: unknown) => {
      this.active.delete(id);
      log.error({ err }, 'workflow run bookkeeping failed');
    });
    this.active.set(id, { abort, done });
    log.info({ name: wf.name, steps: wf.steps.length }, 'workflow run started');
    return this.require(id);
  }

  async list(request: ListWorkflowRunsRequest = {}): Promise<WorkflowRun[]> {
    return this.o.repo.list(request.limit ?? 50);
  }

  async get(id: string): Promise<WorkflowRun> {
    return this.require(id);
  }

  async cancel(id: string): Promise<WorkflowRun> {
    const run = this.require(id);
    const a = this.active.get(id);
    if (!a) return run;
    a.abort.abort(new Error('cancelled by request'));
    return a.done;
  }

  async watch(id: string, onUpdate?: (run: WorkflowRun) => void): Promise<WorkflowRun> {
    const first = this.require(id);
    onUpdate?.(first);
    const a = this.active.get(id);
    if (!a || FINISHED_RUN.has(first.status)) return a ? a.done : first;
    const listener = () => onUpdate?.(this.require(id));
    this.changes.on(id, listener);
    try {
      return await a.done;
    } finally {
      this.changes.off(id, listener);
    }
  }

  /**
   * Marks runs left `running` by a process that stopped (a crash, kill -9) as failed, ends
   * their step sessions (containers, and networks with them) and removes their artifact
   * directories. The daemon calls this on start, after reconcile. Returns the runs' ids.
   */
  async recoverInterrupted(): Promise<string[]> {
    const ids = this.o.repo.failInterrupted(new Set(this.active.keys()), Date.now());
    for (const id of ids) {
      const log = this.o.log.child({ workflowRun: id });
      for (const s of await this.o.sessions.list({ labels: { [WORKFLOW_LABELS.run]: id } })) {
        await this.o.sessions.remove(s.id).catch((err: unknown) => log.warn({ err, sessionId: s.id }, 'could not end a step session of an interrupted run'));
      }
      await rm(join(this.o.workDir, id), { recursive: true, force: true });
      log.info('interrupted workflow run cleaned up');
    }
    return ids;
  }

  /** Cancels every active run and waits until their containers are gone. */
  async close(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.cancel(id).catch(() => undefined)));
  }

  private require(id: string): WorkflowRun {
    const run = this.o.repo.get(id);
    if (!run) throw new BerthError('NotFound', `no workflow run "${id}"; list them with \`berth workflow ls\``, { details: { run: id } });
    return run;
  }
}
