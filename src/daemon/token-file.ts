import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { BerthError } from '../common/errors.js';

/**
 * Reads a secret file (the TCP token, a TLS key): a regular file that no group or other
 * user can read (like ssh's keys), trailing newline dropped. `PolicyDenied` for a loose
 * mode, `NotFound` for a missing file.
 */
export function readSecretFile(path: string, what = 'token file'): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BerthError('InvalidArgument', `the ${what} ${path} is not a regular file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new BerthError('NotFound', `cannot read the ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (mode & 0o077) {
    throw new BerthError('PolicyDenied', `the ${what} ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 ${path}`, { details: { path, mode: mode.toString(8) } });
  }
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

/** The TCP token from a file (see `readSecretFile`). */
export function readTokenFile(path: string): string {
  return readSecretFile(path, 'token file');
}

/** True when `host:port` names a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopback(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
