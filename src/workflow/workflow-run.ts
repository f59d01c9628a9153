import type { RunStatus, StepStatus } from './run-dag.js';
import type { Workflow } from './workflow-spec.js';

/** A step of a run as the API returns it. Times are ISO strings. */
export interface WorkflowStepRecord {
  id: string;
  status: StepStatus;
  exitCode?: number;
  /** ms from the step's start (container creation) to its end. */
  durationMs?: number;
  /** The end of the command's stdout and stderr (at most 4 KiB). */
  logTail: string;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  /** What the step exported. */
  artifacts: Array<{ path: string; bytes: number }>;
}

/** A workflow run as the API returns it. Times are ISO strings. */
export interface WorkflowRun {
  id: string;
  name: string;
  file: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
  labels: Record<string, string>;
  spec: Workflow;
  steps: WorkflowStepRecord[];
}

/** Starts a run. */
export interface StartWorkflowRequest {
  /** The workflow file's text (YAML). */
  source: string;
  /** The file's name, for messages and reports. */
  file?: string;
  /** Directory that relative bind-mount sources resolve against (the file's); default the caller's current directory in-process, required through the daemon. */
  baseDir?: string;
  /** Extra labels put on every container of the run. */
  labels?: Record<string, string>;
  /** Steps at once; default the workflow's `concurrency` (4). */
  concurrency?: number;
}

export interface ListWorkflowRunsRequest {
  /** Newest first; default 50. */
  limit?: number;
}

/**
 * Workflow runs, the same interface in-process (`Berth.workflows`) and through the daemon
 * (`BerthClient.workflows`).
 */
export interface WorkflowsApi {
  /** Validates (every problem with its line, `InvalidArgument`) and starts a run; resolves at once with it, `running`. */
  start(request: StartWorkflowRequest): Promise<WorkflowRun>;
  /** Runs, newest first, with their steps. */
  list(request?: ListWorkflowRunsRequest): Promise<WorkflowRun[]>;
  get(id: string): Promise<WorkflowRun>;
  /** Cancels a running run; resolves when its containers are gone, with the final run. A finished run is returned as it is. */
  cancel(id: string): Promise<WorkflowRun>;
  /** Calls `onUpdate` with the run now and after every change; resolves with the finished run. */
  watch(id: string, onUpdate?: (run: WorkflowRun) => void): Promise<WorkflowRun>;
}

/** Statuses after which a run changes no more. */
export const FINISHED_RUN: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
