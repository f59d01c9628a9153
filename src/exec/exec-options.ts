import { Readable } from 'node:stream';
import { z } from 'zod';
import { invalidArgument } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';

/** Default cap on each of stdout and stderr kept in memory by `exec`: 32 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** Upper bound of `maxOutputBytes`: 256 MiB (each of stdout and stderr is kept in memory). */
export const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Upper bound of `timeoutMs`: 2^31-1 ms (about 24.8 days), the longest timer Node keeps (a longer one fires at once). */
export const MAX_EXEC_TIMEOUT_MS = 2 ** 31 - 1;

/** The variable berth sets on every exec so a timed-out process tree can be found and killed. */
export const EXEC_MARKER_ENV = 'BERTH_EXEC_ID';

export interface ExecOptions {
  /** argv array; never a shell string. Use `['sh', '-c', script]` for shell syntax. */
  cmd: string[];
  env?: Record<string, string>;
  /** Absolute path in the container; default the container's workdir. */
  workdir?: string;
  /** `uid`, `uid:gid` or a name; default the container's user. */
  user?: string;
  /** Written to the process's stdin, which is then closed. */
  stdin?: string | Buffer | Readable;
  /** Kill the process (and its children) after this many ms; default: no limit; at most MAX_EXEC_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Bytes kept of each of stdout and stderr by `exec` (default 32 MiB, at most 256 MiB); the rest is counted and dropped. */
  maxOutputBytes?: number;
}

const schema = z.strictObject({
  cmd: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain NUL bytes')).min(1, 'must have at least one element'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid variable name'), z.string()).optional(),
  workdir: z.string().startsWith('/', 'must be an absolute path').optional(),
  user: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'must be uid, uid:gid or a name').optional(),
  stdin: z.custom<string | Buffer | Readable>(
    (v) => typeof v === 'string' || Buffer.isBuffer(v) || v instanceof Readable,
    'must be a string, a Buffer or a Readable',
  ).optional(),
  timeoutMs: z.number().int().positive().max(MAX_EXEC_TIMEOUT_MS, `must be at most ${MAX_EXEC_TIMEOUT_MS} ms (about 24.8 days)`).optional(),
  maxOutputBytes: z.number().int().positive().max(MAX_OUTPUT_BYTES, `must be at most ${MAX_OUTPUT_BYTES} bytes (256 MiB)`).optional(),
});

/** Checks exec options; throws `InvalidArgument` listing every problem. */
export function assertValidExecOptions(options: unknown): ExecOptions {
  const r = schema.safeParse(options);
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'exec options');
  const env = (options as ExecOptions).env;
  if (env && EXEC_MARKER_ENV in env) {
    throw invalidArgument([{ path: `env.${EXEC_MARKER_ENV}`, message: 'is reserved by berth' }], 'exec options');
  }
  return options as ExecOptions;
}
