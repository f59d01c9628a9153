import { BerthError } from '../common/errors.js';

/** A spec's `user` split: `uid` when its user part is all digits (`"00"` is uid 0), else `name`. */
export function parseUser(user: string): { uid?: number; name?: string; group?: string } {
  const [u = '', group] = user.split(':', 2);
  const base = group !== undefined ? { group } : {};
  return /^\d+$/.test(u) ? { ...base, uid: Number(u) } : { ...base, name: u };
}

/** The uid of `name` in the text of an `/etc/passwd`; undefined when it is not there. */
export function uidFromPasswd(passwd: string, name: string): number | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  return undefined;
}

/** True when `user` is root by itself (no image needed): unset, `root`, or a numeric uid of 0 (`0`, `00`, `0:0`). */
export function isRootWithoutImage(user: string | undefined): boolean {
  if (user === undefined || user === '') return true;
  const p = parseUser(user);
  return p.uid === 0 || p.name === 'root';
}

/**
 * The numeric uid the engine will use for `user` in an image whose `/etc/passwd` is read
 * by `readPasswd` (only asked for a name). Undefined when the name is not in the image.
 */
export async function uidOf(user: string, readPasswd: () => Promise<string>): Promise<number | undefined> {
  const p = parseUser(user);
  if (p.uid !== undefined) return p.uid;
  if (p.name === 'root') return 0;
  return uidFromPasswd(await readPasswd().catch(() => ''), p.name ?? '');
}

/** `PolicyDenied` unless `user` maps to a uid other than 0 in the image (the strict profile's rule). */
export async function assertNonRoot(user: string | undefined, readPasswd: () => Promise<string>): Promise<void> {
  const uid = user === undefined ? 0 : await uidOf(user, readPasswd);
  if (uid !== undefined && uid !== 0) return;
  const why = uid === 0 ? `user "${user ?? ''}" is uid 0 (root) in the image` : `user "${user}" is not in the image's /etc/passwd, so its uid cannot be checked`;
  throw new BerthError('PolicyDenied', `the strict profile runs as a non-root user: ${why}; name a non-root uid (e.g. 65534:65534) or leave user unset`, {
    details: { problems: [{ path: 'user', message: uid === 0 ? 'is root under another name' : 'is not a user of the image' }] },
  });
}
