import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { BerthError, type FieldProblem } from '../common/errors.js';
import type { MountSpec } from '../spec/container-spec.js';
import { ENGINE_DATA_DIRS, ENGINE_SOCKETS, HOME_DIRS, SOCKET_DIRS, SYSTEM_DIRS, UNTRUSTED_ROOTS_KEY, type MountPolicy } from './mount-policy.js';
import type { Trust } from './trust.js';

/** The rule a denied bind mount broke; stable, printed in the error. */
export type MountRule =
  | 'root'
  | 'system-dir'
  | 'socket-dir'
  | 'home'
  | 'engine-socket'
  | 'socket'
  | 'engine-data'
  | 'denied-path'
  | 'contains-protected'
  | 'outside-allowed-roots'
  | 'untrusted-caller'
  | 'unresolvable'
  | 'changed-since-create';

export interface MountDenial {
  /** Index in the spec's `mounts`. */
  index: number;
  rule: MountRule;
  source: string;
  /** The source after symlinks and `..` are resolved, in the kernel's order. */
  resolved: string;
  message: string;
}

/** Symlinks followed while resolving one path before it is refused, as the kernel's ELOOP. */
const MAX_LINKS = 40;

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * The real path of `p` as the kernel resolves it: component by component, a symlink
 * replaced by its target before the next component is read, so `link/..` is the parent of
 * the link's target, not the directory holding the link. Components past the first missing
 * one are appended as written. Throws when `p` is relative or the links loop.
 */
export function resolveHostPath(p: string): string {
  if (!p.startsWith('/')) throw new Error(`${p} is not an absolute path`);
  const queue = p.split('/').filter((c) => c !== '' && c !== '.');
  let cur = '/';
  let links = 0;
  let missing = false;
  while (queue.length) {
    const c = queue.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      cur = posix.dirname(cur);
      continue;
    }
    const next = posix.join(cur, c);
    if (missing) {
      cur = next;
      continue;
    }
    let link: string | undefined;
    try {
      link = lstatSync(next).isSymbolicLink() ? readlinkSync(next) : undefined;
    } catch {
      missing = true;
      cur = next;
      continue;
    }
    if (link === undefined) {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`${p}: too many levels of symbolic links`);
    queue.unshift(...link.split('/').filter((x) => x !== '' && x !== '.'));
    if (link.startsWith('/')) cur = '/';
  }
  return cur;
}

function isSocket(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

type Protected = { path: string; rule: MountRule };

/**
 * Checks bind mounts against the deny rules and the allow-lists. Sources are resolved the
 * way the kernel will (symlinks before `..`), and `resolve` hands back the real paths so
 * the engine mounts what was checked, not the caller's string.
 */
export class MountValidator {
  private readonly protectedPaths: Protected[];
  private readonly homes: string[];
  private readonly allowRoots: string[] | undefined;
  private readonly untrustedRoots: string[];

  constructor(policy: MountPolicy = {}) {
    const socket = policy.engineSocket?.startsWith('/') ? [policy.engineSocket] : [];
    const resolvedAll = (paths: readonly string[]) =>
      [...new Set(paths.flatMap((p) => [posix.normalize(p), safeResolve(p)]))].filter((p) => p !== '/');
    const rule = (paths: readonly string[], r: MountRule) => resolvedAll(paths).map((path) => ({ path, rule: r }));
    this.protectedPaths = [
      ...rule([...ENGINE_SOCKETS, ...socket], 'engine-socket'),
      ...rule(ENGINE_DATA_DIRS, 'engine-data'),
      ...rule(policy.deny ?? [], 'denied-path'),
      ...rule([...SOCKET_DIRS, ...socket.map((s) => posix.dirname(s))], 'socket-dir'),
      ...rule(SYSTEM_DIRS, 'system-dir'),
    ];
    this.homes = resolvedAll(HOME_DIRS);
    this.allowRoots = policy.allowRoots && resolvedAll(policy.allowRoots);
    this.untrustedRoots = resolvedAll(policy.untrustedRoots ?? []);
  }

  /**
   * Every denial among the spec's bind mounts for a caller of `trust` (default operator);
   * empty when all are allowed. Rules in `ignore` do not count (an image build reading a
   * context under /home ignores `home`).
   */
  check(mounts: readonly MountSpec[] | undefined, trust: Trust = 'operator', ignore: readonly MountRule[] = []): MountDenial[] {
    const denials: MountDenial[] = [];
    (mounts ?? []).forEach((m, index) => {
      if (m.type !== 'bind' || !m.source) return;
      const denial = this.checkOne(m.source, trust);
      if (denial && !ignore.includes(denial.rule)) denials.push({ index, source: m.source, ...denial });
    });
    return denials;
  }

  /** Throws `PolicyDenied` naming each broken rule, or returns. */
  assertAllowed(mounts: readonly MountSpec[] | undefined, trust: Trust = 'operator', ignore: readonly MountRule[] = []): void {
    throwDenials(this.check(mounts, trust, ignore));
  }

  /**
   * The mounts with each bind source replaced by its real path (what the engine must be
   * given); `PolicyDenied` when any is denied for a caller of `trust`.
   */
  resolve(mounts: readonly MountSpec[], trust: Trust = 'operator'): MountSpec[] {
    this.assertAllowed(mounts, trust);
    return mounts.map((m) => (m.type === 'bind' && m.source ? { ...m, source: resolveHostPath(m.source) } : m));
  }

  /**
   * Before a container starts again: each bind source the engine holds (a real path when
   * berth made it) must still be that real path, and still allowed for `trust`; a symlink
   * swapped in since create is `changed-since-create`. Throws `PolicyDenied`, or returns.
   */
  assertStartable(sources: readonly string[], trust: Trust): void {
    const denials: MountDenial[] = [];
    sources.forEach((source, index) => {
      const denial = this.checkOne(source, trust);
      if (denial) denials.push({ index, source, ...denial });
      else {
        const resolved = resolveHostPath(source);
        if (resolved !== source) {
          denials.push({ index, source, resolved, rule: 'changed-since-create', message: `${source} now resolves to ${resolved} (a symbolic link was put in its path after the session was created); remove the link, or end the session and create it again` });
        }
      }
    });
    throwDenials(denials);
  }

  private checkOne(source: string, trust: Trust): Omit<MountDenial, 'index' | 'source'> | undefined {
    let resolved: string;
    try {
      resolved = resolveHostPath(source);
    } catch (err) {
      return { rule: 'unresolvable', resolved: source, message: (err as Error).message };
    }
    const deny = (rule: MountRule, message: string) => ({ rule, resolved, message });
    if (resolved === '/') return deny('root', 'the host root filesystem cannot be mounted');
    for (const p of this.protectedPaths) {
      if (under(resolved, p.path)) return deny(p.rule, `${resolved} is ${p.rule === 'engine-socket' ? 'the engine socket' : `under ${p.path}`}`);
    }
    if (isSocket(resolved)) return deny('socket', `${resolved} is a unix socket (a socket may be an engine's API by another path)`);
    const inside = this.protectedPaths.find((p) => under(p.path, resolved));
    if (inside) return deny('contains-protected', `${resolved} contains ${inside.path}`);
    const roots = trust === 'untrusted' ? this.untrustedRoots : this.allowRoots;
    if (trust === 'untrusted' && !roots?.length) {
      return deny('untrusted-caller', `untrusted callers (MCP tools, workflow files) get no bind mounts unless the operator lists host directories under the config key ${UNTRUSTED_ROOTS_KEY} (mountPolicy.untrustedRoots of Berth.connect); use a volume or the files API instead`);
    }
    const allowedBy = (rs: string[] | undefined) => rs === undefined || rs.some((root) => under(resolved, root));
    if (trust === 'untrusted' && !allowedBy(roots)) {
      return deny('untrusted-caller', `${resolved} is outside the roots untrusted callers may bind (${UNTRUSTED_ROOTS_KEY}: ${(roots ?? []).join(', ')}); add its directory there to allow it`);
    }
    if (!allowedBy(this.allowRoots)) {
      return deny('outside-allowed-roots', `${resolved} is outside the allowed roots (mounts.allowRoots: ${(this.allowRoots ?? []).join(', ')})`);
    }
    const home = this.homes.find((h) => under(resolved, h));
    const lifted = [...(this.allowRoots ?? []), ...(trust === 'untrusted' ? this.untrustedRoots : [])].some((root) => home && under(root, home) && root !== home && under(resolved, root));
    if (home && !lifted) return deny('home', `${resolved} is under ${home} (users' homes hold keys and shell start-up files); list the directory in mounts.allowRoots to allow it`);
    return undefined;
  }
}

function safeResolve(p: string): string {
  try {
    return resolveHostPath(p);
  } catch {
    return posix.normalize(p);
  }
}

function throwDenials(denials: MountDenial[]): void {
  if (!denials.length) return;
  const problems: FieldProblem[] = denials.map((d) => ({ path: `mounts.${d.index}.source`, message: `${d.rule}: ${d.message}` }));
  throw new BerthError(
    'PolicyDenied',
    `bind mount denied: ${denials.map((d) => `${d.source} (${d.rule}: ${d.message})`).join('; ')}; mount a directory of your own, or a named volume`,
    { details: { problems, denials } },
  );
}
