import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { BerthError, type FieldProblem } from '../common/errors.js';
import type { MountSpec } from '../spec/container-spec.js';
import { ENGINE_DATA_DIRS, ENGINE_SOCKETS, SYSTEM_DIRS, type MountPolicy } from './mount-policy.js';

/** The rule a denied bind mount broke; stable, printed in the error. */
export type MountRule = 'root' | 'system-dir' | 'engine-socket' | 'socket' | 'engine-data' | 'denied-path' | 'contains-protected' | 'outside-allowed-roots';

export interface MountDenial {
  /** Index in the spec's `mounts`. */
  index: number;
  rule: MountRule;
  source: string;
  /** The source after `..` and symlinks are resolved. */
  resolved: string;
  message: string;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/** The real path of `p`: symlinks resolved as far as the path exists, the rest appended. */
export function resolveHostPath(p: string): string {
  const normal = posix.normalize(p);
  const missing: string[] = [];
  let head = normal;
  for (;;) {
    try {
      return posix.join(realpathSync(head), ...missing.reverse());
    } catch {
      if (head === '/') return normal;
      missing.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

function isSocket(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

/**
 * Checks bind mounts against the deny rules and the allow-list. Symlinks and `..` are
 * resolved first, so a link to `/etc` or a second path to the engine's socket is caught.
 */
export class MountValidator {
  private readonly protectedPaths: Array<{ path: string; rule: MountRule }>;
  private readonly allowRoots: string[] | undefined;

  constructor(policy: MountPolicy = {}) {
    const socket = policy.engineSocket?.startsWith('/') ? [policy.engineSocket] : [];
    const resolvedAll = (paths: readonly string[]) => [...new Set(paths.flatMap((p) => [posix.normalize(p), resolveHostPath(p)]))];
    this.protectedPaths = [
      ...resolvedAll(SYSTEM_DIRS).map((path) => ({ path, rule: 'system-dir' as const })),
      ...resolvedAll([...ENGINE_SOCKETS, ...socket]).map((path) => ({ path, rule: 'engine-socket' as const })),
      ...resolvedAll(ENGINE_DATA_DIRS).map((path) => ({ path, rule: 'engine-data' as const })),
      ...resolvedAll(policy.deny ?? []).map((path) => ({ path, rule: 'denied-path' as const })),
    ];
    this.allowRoots = policy.allowRoots && resolvedAll(policy.allowRoots);
  }

  /** Every denial among the spec's bind mounts; empty when all are allowed. */
  check(mounts: readonly MountSpec[] | undefined): MountDenial[] {
    const denials: MountDenial[] = [];
    (mounts ?? []).forEach((m, index) => {
      if (m.type !== 'bind' || !m.source) return;
      const denial = this.checkOne(m.source);
      if (denial) denials.push({ index, source: m.source, ...denial });
    });
    return denials;
  }

  /** Throws `PolicyDenied` naming each broken rule, or returns. */
  assertAllowed(mounts: readonly MountSpec[] | undefined): void {
    const denials = this.check(mounts);
    if (!denials.length) return;
    const problems: FieldProblem[] = denials.map((d) => ({ path: `mounts.${d.index}.source`, message: `${d.rule}: ${d.message}` }));
    throw new BerthError(
      'PolicyDenied',
      `bind mount denied: ${denials.map((d) => `${d.source} (${d.rule}: ${d.message})`).join('; ')}; mount a directory of your own, or a named volume`,
      { details: { problems, denials } },
    );
  }

  private checkOne(source: string): Omit<MountDenial, 'index' | 'source'> | undefined {
    const resolved = resolveHostPath(source);
    const deny = (rule: MountRule, message: string) => ({ rule, resolved, message });
    if (resolved === '/') return deny('root', 'the host root filesystem cannot be mounted');
    for (const p of this.protectedPaths) {
      if (under(resolved, p.path)) return deny(p.rule, `${resolved} is ${p.rule === 'engine-socket' ? 'the engine socket' : `under ${p.path}`}`);
    }
    if (isSocket(resolved)) return deny('socket', `${resolved} is a unix socket (a socket may be an engine's API by another path)`);
    const inside = this.protectedPaths.find((p) => under(p.path, resolved));
    if (inside) return deny('contains-protected', `${resolved} contains ${inside.path}`);
    if (this.allowRoots && !this.allowRoots.some((root) => under(resolved, root))) {
      return deny('outside-allowed-roots', `${resolved} is outside the allowed roots (${this.allowRoots.join(', ')})`);
    }
    return undefined;
  }
}
