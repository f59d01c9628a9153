import { chmodSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { BerthError } from '../common/errors.js';

/** The umask the daemon runs with: files 0600, directories 0700. */
export const DAEMON_UMASK = 0o077;

const uid = (): number => process.getuid?.() ?? 0;

/**
 * Makes `dir` (and its parents) and leaves it mode 0700, whoever made it first (an
 * installer's `mkdir -p` leaves 0755). Refuses a path that is not a directory, or one
 * owned by another user (the daemon would not own its own state).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new BerthError('InvalidArgument', `${dir} is not a directory (a symlink or a file); give the daemon a directory of its own`);
  if (st.uid !== uid() && uid() !== 0) {
    throw new BerthError('PolicyDenied', `${dir} belongs to uid ${st.uid}, not to this daemon (uid ${uid()}); give it a data dir of its own`);
  }
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** Sets each existing file to mode 0600 (the database, its -wal and -shm, the lock). */
export function makePrivate(...files: string[]): void {
  for (const f of files) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Runs `fn` under `mask`, then restores the previous umask (also when it throws). */
export async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const before = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(before);
  }
}
