import type { ImageVariant } from '../image/variants.js';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { BerthError } from '../common/errors.js';
import type { FilesApi } from '../files/files-api.js';
import type { SessionsApi } from '../session/sessions-api.js';
import type { StepArtifact, StepExecutor, StepOutcome } from './run-dag.js';

/** Labels on every container of a workflow run. */
export const WORKFLOW_LABELS = {
  run: 'berth.workflow.run',
  step: 'berth.workflow.step',
} as const;

/** Bytes kept of each of stdout and stderr in a step's log tail. */
export const LOG_TAIL_BYTES = 2048;

export interface SessionExecutorOptions {
  sessions: SessionsApi;
  files: FilesApi;
  runId: string;
  /** Extra labels on every container. */
  labels: Record<string, string>;
  /** Host directory for this run's artifacts (one subdirectory per step). */
  artifactsDir: string;
}

const tail = (s: string, n: number) => (Buffer.byteLength(s) <= n ? s : `…${Buffer.from(s).subarray(-n).toString('utf8')}`);

/**
 * Runs each step in its own berth session (a container on the engine): created with the
 * step's image, env, workdir, mounts and limits; the artifacts of the steps it depends on
 * copied in at their own paths; the command run with the step's timeout; the step's own
 * artifacts copied out to the host; the session ended (container removed) in every case,
 * and at once when the run is aborted.
 */
export function sessionExecutor(o: SessionExecutorOptions): StepExecutor {
  return async (step, { signal, inputs }) => {
    if (signal.aborted) throw new BerthError('Conflict', 'the run was cancelled before this step started');
    const session = await o.sessions.create({
      name: `${o.runId}-${step.id}`,
      ...(step.image ? { image: step.image } : { variant: step.variant as ImageVariant }),
      env: step.env,
      labels: { ...o.labels, [WORKFLOW_LABELS.run]: o.runId, [WORKFLOW_LABELS.step]: step.id },
      ...(step.limits.memory !== undefined ? { memory: step.limits.memory } : {}),
      ...(step.limits.cpus !== undefined ? { cpus: step.limits.cpus } : {}),
      spec: {
        workdir: step.workdir,
        mounts: step.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly })),
        ...(step.limits.pids !== undefined ? { pidsLimit: step.limits.pids } : {}),
      },
      baseDir: step.workdir,
      confine: false,
    }, { trust: 'untrusted' });
    let ended: Promise<unknown> | undefined;
    const end = () => (ended ??= o.sessions.remove(session.id).catch(() => undefined));
    signal.addEventListener('abort', end, { once: true });
    try {
      if (signal.aborted) throw new BerthError('Conflict', 'the run was cancelled');
      for (const a of inputs) {
        await o.files.mkdir(session.id, posix.dirname(a.path));
        await o.files.copyIn(session.id, a.hostPath, a.path);
      }
      const r = await o.sessions.exec(session.id, { cmd: step.command, workdir: step.workdir, timeoutMs: step.timeoutMs, maxOutputBytes: 1024 * 1024 });
      const logTail = [tail(r.stdout, LOG_TAIL_BYTES), r.stderr ? `[stderr]\n${tail(r.stderr, LOG_TAIL_BYTES)}` : ''].filter(Boolean).join('\n');
      const outcome: StepOutcome = { exitCode: r.exitCode, timedOut: r.timedOut, logTail };
      if (signal.aborted) return outcome;
      const artifacts: StepArtifact[] = [];
      const dir = join(o.artifactsDir, step.id);
      await mkdir(dir, { recursive: true });
      for (const [i, path] of step.artifacts.entries()) {
        const hostPath = join(dir, String(i));
        try {
          const c = await o.files.copyOut(session.id, path, hostPath);
          artifacts.push({ step: step.id, path, hostPath, bytes: c.bytes });
        } catch (err) {
          if (!BerthError.is(err, 'NotFound')) throw err;
          return { ...outcome, artifacts, error: `artifact ${path} was not produced` };
        }
      }
      return { ...outcome, artifacts };
    } finally {
      signal.removeEventListener('abort', end);
      await end();
    }
  };
}
