import { posix } from 'node:path';
import { BerthError } from '../common/errors.js';

export interface SandboxPathOptions {
  /** Absolute base dir; relative paths resolve against it. */
  baseDir: string;
  /** Refuse paths outside `baseDir` (default true). */
  confine?: boolean;
}

/**
 * Normalises a user path inside a sandbox: relative to the base dir, `.`/`..` folded.
 * With `confine`, a path that ends up outside the base dir is `PolicyDenied`.
 */
export function resolveSandboxPath(input: string, o: SandboxPathOptions): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw new BerthError('InvalidArgument', 'path: is required', { details: { problems: [{ path: 'path', message: 'is required' }] } });
  }
  if (input.includes('\0')) {
    throw new BerthError('InvalidArgument', 'path: must not contain NUL bytes', { details: { problems: [{ path: 'path', message: 'must not contain NUL bytes' }] } });
  }
  const resolved = posix.resolve(o.baseDir, input);
  if ((o.confine ?? true) && resolved !== o.baseDir && !resolved.startsWith(`${o.baseDir === '/' ? '' : o.baseDir}/`)) {
    throw new BerthError('PolicyDenied', `path "${input}" resolves to ${resolved}, outside the sandbox's base dir ${o.baseDir} (confine is on)`, {
      details: { path: input, resolved, baseDir: o.baseDir, rule: 'confine' },
    });
  }
  return resolved;
}
