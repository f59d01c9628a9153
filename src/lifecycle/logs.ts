import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CappedCollector } from '../exec/capped-collector.js';
import { createDemuxer } from '../exec/demux.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../exec/exec-options.js';
import type { Engine } from '../engine/engine.js';

export interface LogsOptions {
  /** Keep the streams open for new output; default false. */
  follow?: boolean;
  /** Only the last N lines of the combined log (stdout and stderr together); default all. */
  tail?: number;
  /** Only output since this time (Date or unix seconds). */
  since?: Date | number;
}

export interface LogStreams {
  stdout: Readable;
  stderr: Readable;
  /** Stops following; both streams end. */
  close(): void;
}

export interface LogsResult {
  stdout: string;
  stderr: string;
}

/** The container's logs as two streams, stdout and stderr kept apart (a TTY container has only stdout). */
export async function streamLogs(engine: Engine, id: string, tty: boolean, options: LogsOptions = {}): Promise<LogStreams> {
  const since = options.since instanceof Date ? Math.floor(options.since.getTime() / 1000) : options.since;
  const raw = await engine.containerLogs(id, {
    follow: options.follow ?? false,
    stdout: true,
    stderr: true,
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    ...(since !== undefined ? { since } : {}),
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (tty) {
    raw.pipe(stdout);
    stderr.end();
  } else {
    raw.pipe(createDemuxer({ stdout, stderr }));
  }
  raw.once('close', () => {
    if (!stdout.writableEnded) stdout.end();
    if (!stderr.writableEnded) stderr.end();
  });
  return { stdout, stderr, close: () => raw.destroy() };
}

/** The logs so far, each stream capped at 32 MiB. */
export async function readLogs(engine: Engine, id: string, tty: boolean, options: Omit<LogsOptions, 'follow'> = {}): Promise<LogsResult> {
  const s = await streamLogs(engine, id, tty, { ...options, follow: false });
  const out = new CappedCollector(DEFAULT_MAX_OUTPUT_BYTES);
  const err = new CappedCollector(DEFAULT_MAX_OUTPUT_BYTES);
  s.stdout.pipe(out);
  s.stderr.pipe(err);
  await Promise.all([finished(out), finished(err)]);
  return { stdout: out.buffer().toString('utf8'), stderr: err.buffer().toString('utf8') };
}
