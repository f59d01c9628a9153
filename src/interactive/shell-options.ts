import { z } from 'zod';
import { invalidArgument } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';
import type { AttachOptions, ShellOptions } from './shell-stream.js';

const size = z.number().int().min(1).max(1000);
const detachKeys = z.string().regex(/^((ctrl-[a-z@\[\\\]^_]|[a-zA-Z0-9])(,(ctrl-[a-z@\[\\\]^_]|[a-zA-Z0-9]))*)?$/, 'must be keys like ctrl-p,ctrl-q').optional();
const shellSchema = z.strictObject({
  cmd: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain NUL bytes')).min(1).optional(),
  cols: size.optional(),
  rows: size.optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid variable name'), z.string()).optional(),
  user: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'must be uid, uid:gid or a name').optional(),
  workdir: z.string().startsWith('/', 'must be an absolute path').optional(),
  detachKeys,
  resume: z.string().regex(/^p?\d{1,10}$/, 'must be a shell handle like p123').optional(),
});
const attachSchema = z.strictObject({ cols: size.optional(), rows: size.optional(), detachKeys });

/** Checks shell options; `InvalidArgument` lists every problem. */
export function assertShellOptions(o: unknown): ShellOptions {
  const r = shellSchema.safeParse(o ?? {});
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'shell options');
  return r.data;
}

export function assertAttachOptions(o: unknown): AttachOptions {
  const r = attachSchema.safeParse(o ?? {});
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'attach options');
  return r.data;
}

