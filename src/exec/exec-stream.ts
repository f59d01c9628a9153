import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { execStartExitCode } from '../engine/quirks.js';
import { createDemuxer } from './demux.js';
import { assertValidExecOptions, EXEC_MARKER_ENV, type ExecOptions } from './exec-options.js';
import { uptimeSeconds } from './host-pid.js';
import { killExecTree } from './kill.js';

export interface ExecExit {
  /** The process's exit code; 137 when it was killed, -1 when the engine never reported one. */
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
  /** Set when the command never started (session agent only): why; `exitCode` is then 127 or 126. */
  spawnFailure?: { reason: 'not-found' | 'permission' | 'not-executable' | 'other'; message: string };
}

/** A running exec: read both streams (or the exec stalls on backpressure), await `exit`. */
export interface ExecStream {
  execId: string;
  stdout: Readable;
  stderr: Readable;
  exit: Promise<ExecExit>;
  /** Kills the process and its children now. */
  kill(): Promise<void>;
}

/** How long to wait for the stream to end after a kill before cutting it, in ms. */
const KILL_GRACE_MS = 2000;
/** Bytes of raw output kept to tell a missing command from one that cannot be run. */
const HEAD_BYTES = 1024;
/** How long to poll for the engine to report the exec as finished, in ms. */
const EXIT_POLL_LIMIT_MS = 10_000;

/** Starts a command in a running container with stdout and stderr kept apart. */
export async function startExec(
  engine: Engine,
  containerId: string,
  input: ExecOptions,
  log: Logger,
): Promise<ExecStream> {
  const options = assertValidExecOptions(input);
  const marker = randomId(8);
  const hasStdin = options.stdin !== undefined;
  const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  env.push(`${EXEC_MARKER_ENV}=${marker}`);
  const notBeforeUptime = await uptimeSeconds();
  const execId = await engine.createExec(containerId, {
    cmd: options.cmd,
    env,
    ...(options.workdir ? { workdir: options.workdir } : {}),
    ...(options.user ? { user: options.user } : {}),
    stdin: hasStdin,
    tty: false,
  });
  const started = performance.now();
  const raw = await engine.startExec(execId, { stdin: hasStdin, tty: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const demux = createDemuxer({ stdout, stderr });
  raw.pipe(demux);
  let head = '';
  const keepHead = (chunk: Buffer) => {
    head += chunk.toString('latin1', 0, Math.min(chunk.length, HEAD_BYTES));
    if (head.length >= HEAD_BYTES) raw.off('data', keepHead);
  };
  raw.on('data', keepHead);
  const streamDone = new Promise<void>((resolve) => {
    const end = () => {
      if (!demux.writableEnded) demux.end();
      resolve();
    };
    raw.once('end', end);
    raw.once('close', end);
    raw.once('error', (err) => {
      log.warn({ err, execId }, 'exec stream broke; the exit code comes from the engine');
      end();
    });
  });

  if (typeof options.stdin === 'string' || Buffer.isBuffer(options.stdin)) raw.end(options.stdin);
  else if (options.stdin instanceof Readable) options.stdin.pipe(raw);

  const kill = async () => {
    await killExecTree(engine, containerId, execId, marker, options.user, log, notBeforeUptime !== undefined ? { notBeforeUptime } : {});
  };

  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    if (!options.timeoutMs) return;
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, options.timeoutMs);
  });

  const exit = (async (): Promise<ExecExit> => {
    await Promise.race([streamDone, timeout]);
    clearTimeout(timer);
    if (timedOut) {
      log.info({ execId, timeoutMs: options.timeoutMs }, 'exec timed out; killing it');
      await kill();
      const ended = await Promise.race([streamDone.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
      if (!ended) raw.destroy();
    }
    await finished(demux).catch(() => undefined);
    const exitCode = execStartExitCode(await pollExitCode(engine, execId), head);
    return { exitCode, timedOut, durationMs: Math.round(performance.now() - started) };
  })();

  return { execId, stdout, stderr, exit, kill };
}

/** The engine may report the exec as running for a moment after its stream ends: poll. */
export async function pollExitCode(engine: Engine, execId: string): Promise<number> {
  const deadline = performance.now() + EXIT_POLL_LIMIT_MS;
  let delay = 2;
  for (;;) {
    const state = await engine.inspectExec(execId);
    if (!state.running && state.exitCode !== null) return state.exitCode;
    if (performance.now() > deadline) return -1;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}
