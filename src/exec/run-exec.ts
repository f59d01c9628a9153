import { finished } from 'node:stream/promises';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { CappedCollector } from './capped-collector.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecOptions } from './exec-options.js';
import { startExec, type ExecStream } from './exec-stream.js';

export interface ExecResult {
  exitCode: number;
  /** UTF-8 text of stdout, at most `maxOutputBytes` bytes of it. */
  stdout: string;
  stderr: string;
  /** Bytes the process wrote to each stream, kept or not. */
  stdoutBytes: number;
  stderrBytes: number;
  timedOut: boolean;
  /** True when either stream passed `maxOutputBytes` and was cut. */
  truncated: boolean;
  durationMs: number;
  /** Set when the command never started (session agent only): why; `exitCode` is then 127 or 126. */
  spawnFailure?: { reason: 'not-found' | 'permission' | 'not-executable' | 'other'; message: string };
}

/** Runs a command to completion and returns its output and exit code. */
export async function runExec(engine: Engine, containerId: string, options: ExecOptions, log: Logger): Promise<ExecResult> {
  return collectExec(await startExec(engine, containerId, options, log), options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
}

/** Waits for a started exec to finish, keeping at most `max` bytes of each stream. */
export async function collectExec(s: ExecStream, max: number): Promise<ExecResult> {
  const out = new CappedCollector(max);
  const err = new CappedCollector(max);
  s.stdout.pipe(out);
  s.stderr.pipe(err);
  const exit = await s.exit;
  await Promise.all([finished(out), finished(err)]);
  return {
    exitCode: exit.exitCode,
    stdout: out.buffer().toString('utf8'),
    stderr: err.buffer().toString('utf8'),
    stdoutBytes: out.total,
    stderrBytes: err.total,
    timedOut: exit.timedOut,
    truncated: out.truncated || err.truncated,
    durationMs: exit.durationMs,
    ...(exit.spawnFailure ? { spawnFailure: exit.spawnFailure } : {}),
  };
}
