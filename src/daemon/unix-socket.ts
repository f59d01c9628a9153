import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

export interface SocketOptions {
  /**
   * A group whose members may use the API (root-equivalent: document who is in it). Then
   * the socket's directory is 0750 and the socket 0660, both of that group; without it,
   * 0700 and 0600.
   */
  group?: string;
  log: Logger;
}

/** The gid of a group by name (from /etc/group), or `InvalidArgument`. */
export function groupId(name: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new BerthError('InvalidArgument', `socket group "${name}" does not exist; create it (groupadd ${name}) or leave socketGroup unset`);
}

/**
 * Makes the socket's directory (0700, or 0750 with the group) or checks an existing
 * one: it must be ours and not shared (a sticky or world-writable directory such as
 * /tmp is refused: others could replace the socket); a loose mode is tightened.
 */
export function prepareSocketDir(dir: string, gid: number | undefined, log: Logger): void {
  const mode = gid === undefined ? 0o700 : 0o750;
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  const me = process.getuid?.() ?? 0;
  if (!st.isDirectory()) throw new BerthError('InvalidArgument', `the socket's directory ${dir} is not a directory; give the socket a directory of its own`);
  if (st.uid !== me) throw new BerthError('PolicyDenied', `the socket's directory ${dir} belongs to uid ${st.uid}, not to this daemon; give the socket a directory of its own`);
  if (st.mode & 0o1002) {
    throw new BerthError('PolicyDenied', `the socket's directory ${dir} is shared (mode ${(st.mode & 0o7777).toString(8)}); put the socket in a directory of its own, e.g. /run/berth`);
  }
  if (gid !== undefined && st.gid !== gid) chownSync(dir, me, gid);
  if ((st.mode & 0o777) !== mode) {
    log.warn({ dir, was: (st.mode & 0o777).toString(8), now: mode.toString(8) }, "tightened the socket directory's mode");
    chmodSync(dir, mode);
  }
}

/**
 * Listens on a unix socket that has its final mode from the start: it is bound inside a
 * fresh 0700 directory (no one else can reach it there), set to 0600 (or 0660 with the
 * group), then renamed into place. A stale socket at the path is replaced.
 */
export async function listenOnUnixSocket(app: FastifyInstance, path: string, o: SocketOptions): Promise<void> {
  const gid = o.group === undefined ? undefined : groupId(o.group);
  const dir = dirname(path);
  prepareSocketDir(dir, gid, o.log);
  const staging = mkdtempSync(join(dir, '.bs-'));
  try {
    const tmp = join(staging, basename(path).slice(0, 8) || 's');
    await app.listen({ path: tmp });
    if (gid !== undefined) chownSync(tmp, process.getuid?.() ?? 0, gid);
    chmodSync(tmp, gid === undefined ? 0o600 : 0o660);
    rmSync(path, { force: true });
    renameSync(tmp, path);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
