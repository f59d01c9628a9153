import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../common/errors.js';
import { signalTree } from '../common/process-tree.js';
import type { Logger } from '../common/logger.js';
import type { EngineInfo } from '../engine/types.js';
import { BuildOutputParser, describeStep, type BuildEvent } from './build-progress.js';

/** What to build. Everything the engine's CLI is told comes from here. */
export interface BuildImageRequest {
  /** The build context: an absolute directory on the daemon's host. */
  context: string;
  /** The Dockerfile; default `<context>/Dockerfile`. */
  dockerfile?: string;
  /** `name:tag` tags; at least one. The first names the result. */
  tags: string[];
  /** `--build-arg` values, e.g. `{ BASE_IMAGE: 'berth-base:debian-bookworm' }`. */
  buildArgs?: Record<string, string>;
  /** The stage of a multi-stage Dockerfile to stop at; default the last. */
  target?: string;
  /** Labels put on the image (berth adds its own). */
  labels?: Record<string, string>;
  /** Build without the engine's layer cache; default false. */
  noCache?: boolean;
  /** Network of RUN steps; default the engine's default (a bridge that reaches package mirrors). */
  network?: string;
}

export interface BuildImageResult {
  /** The first tag, canonical (`name:tag`, no `localhost/`). */
  image: string;
  imageId: string;
  tags: string[];
  /** Steps the builder announced. */
  steps: number;
  /** Wall time of the build, ms. */
  durationMs: number;
}

export interface BuildRunOptions {
  onEvent?: (e: BuildEvent) => void;
  signal?: AbortSignal;
}

/** The engine CLI's argv and environment for a build; one place for both engines. */
export function buildCommand(engine: EngineInfo, req: BuildImageRequest, iidFile: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  // --force-rm: a failed step's container is removed too (Docker's legacy builder keeps it otherwise).
  const args = ['build', '-f', req.dockerfile ?? join(req.context, 'Dockerfile'), '--iidfile', iidFile, '--force-rm'];
  for (const t of req.tags) args.push('-t', t);
  for (const [k, v] of Object.entries(req.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(req.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (req.target) args.push('--target', req.target);
  if (req.noCache) args.push('--no-cache');
  if (req.network) args.push('--network', req.network);
  args.push(req.context);
  if (engine.kind === 'podman') {
    // As scripts/bootstrap-engines.sh builds the fixture: the local podman CLI, with the
    // environment (CONTAINERS_CONF, storage) the service was started with.
    return { file: 'podman', args, env: { ...process.env } };
  }
  const host = engine.socketPath.startsWith('/') ? `unix://${engine.socketPath}` : engine.socketPath;
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host };
  delete env.DOCKER_CONTEXT;
  return { file: 'docker', args, env };
}

/**
 * Builds an image through the detected engine's CLI (`docker build` / `podman build`),
 * streaming its output as events. A failed build is `InvalidArgument` (a step failed:
 * fix the Dockerfile) or `Internal`, with `details: { step, lastLines, exitCode }`;
 * a missing CLI is `EngineUnavailable`.
 */
export async function buildImage(engine: EngineInfo, req: BuildImageRequest, o: BuildRunOptions = {}, log?: Logger): Promise<BuildImageResult> {
  if (req.tags.length === 0) throw new BerthError('InvalidArgument', 'a build needs at least one tag (name:tag)');
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-'));
  const iidFile = join(dir, 'iid');
  const { file, args, env } = buildCommand(engine, req, iidFile);
  const parser = new BuildOutputParser((e) => o.onEvent?.(e));
  const t0 = performance.now();
  log?.debug({ file, args }, 'image build');
  try {
    const cancelled = () => new BerthError('Timeout', `the build of ${req.tags[0]} was cancelled`);
    if (o.signal?.aborted) throw cancelled();
    const code = await new Promise<number>((resolve, reject) => {
      // Its own process group: a cancel kills the CLI and everything it started. Podman's
      // RUN steps outlive a signal to the CLI alone, and run in sessions of their own.
      const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const cancel = () => signalTree(child.pid, 'SIGKILL');
      o.signal?.addEventListener('abort', cancel, { once: true });
      child.stdout.on('data', (d: Buffer) => parser.push(d));
      child.stderr.on('data', (d: Buffer) => parser.push(d));
      child.once('error', (err: NodeJS.ErrnoException) => {
        o.signal?.removeEventListener('abort', cancel);
        if (err.code === 'ENOENT') {
          reject(new BerthError('EngineUnavailable', `the ${file} command is not installed; berth builds images through the engine's CLI (install it, e.g. scripts/bootstrap-engines.sh)`, { cause: err }));
        } else reject(BerthError.from(err));
      });
      child.once('close', (c) => {
        o.signal?.removeEventListener('abort', cancel);
        if (o.signal?.aborted) reject(cancelled());
        else resolve(c ?? 1);
      });
    });
    parser.end();
    const durationMs = Math.round(performance.now() - t0);
    if (code !== 0) {
      const step = parser.lastStep;
      const lastLines = parser.lastLines;
      const where = step ? `step ${describeStep(step)} failed` : `${file} build failed before its first step`;
      throw new BerthError(step ? 'InvalidArgument' : 'Internal', `building ${req.tags[0]}: ${where} (exit ${code}); last output: ${lastLines.slice(-3).join(' | ')}`, {
        details: { step: step ?? null, lastLines, exitCode: code, durationMs },
      });
    }
    const imageId = readFileSync(iidFile, 'utf8').trim();
    return { image: req.tags[0] ?? imageId, imageId, tags: req.tags, steps: parser.steps, durationMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
