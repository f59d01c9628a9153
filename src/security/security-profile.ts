import { z } from 'zod';
import { BerthError } from '../common/errors.js';
import type { ContainerSpec } from '../spec/container-spec.js';

/** `standard`: the foundation's hardened defaults. `strict`: nothing writable but tmpfs, no caps, not root. */
export type SecurityProfileName = 'standard' | 'strict';
export const securityProfileSchema = z.enum(['standard', 'strict']);

/** Label carrying the profile a container was made with; the score checks against it. */
export const PROFILE_LABEL = 'berth.security.profile';

/** Sizes of strict's tmpfs mounts and its limits. */
export const STRICT = {
  /** Non-root user (nobody) unless the spec names another non-root one. */
  user: '65534:65534',
  tmpSize: '64m',
  workspaceSize: '256m',
  /** Upper bound for pids; a lower one in the spec is kept. */
  pidsLimit: 256,
} as const;

export interface ApplyProfileOptions {
  /** Mounted as a size-capped tmpfs under strict (default `/workspace`). */
  workspace?: string;
}

const isRoot = (user: string | undefined) => user === undefined || /^(root|0)(:.*)?$/.test(user);

/**
 * Returns `spec` under `profile`. `standard` only labels it (the builder's defaults are
 * the standard profile). `strict` forces a read-only root with tmpfs for /tmp and the
 * workspace (owned by the user when it is numeric), no capabilities, no-new-privileges, a non-root user, a pids limit, swap
 * equal to memory and no network, and keeps the engine's default seccomp. A spec that
 * explicitly asks for what strict forbids is `PolicyDenied`, naming the field.
 */
export function applyProfile(spec: Partial<ContainerSpec>, profile: SecurityProfileName, options: ApplyProfileOptions = {}): Partial<ContainerSpec> {
  const labels = { ...spec.labels, [PROFILE_LABEL]: profile };
  if (profile === 'standard') return { ...spec, labels };
  const conflicts = [
    spec.privileged ? 'privileged' : undefined,
    spec.capAdd?.length ? 'capAdd' : undefined,
    spec.readOnlyRootfs === false ? 'readOnlyRootfs' : undefined,
    spec.network !== undefined && spec.network !== 'none' ? 'network' : undefined,
    spec.securityOpt?.some((o) => /^seccomp[=:]unconfined$/.test(o)) ? 'securityOpt' : undefined,
    spec.memorySwap === -1 ? 'memorySwap' : undefined,
  ].filter((c): c is string => c !== undefined);
  if (conflicts.length) {
    throw new BerthError('PolicyDenied', `the strict profile forbids ${conflicts.join(', ')}; drop ${conflicts.length > 1 ? 'those fields' : 'that field'} or use the standard profile`, {
      details: { problems: conflicts.map((path) => ({ path, message: 'is not allowed under the strict profile' })) },
    });
  }
  const workspace = options.workspace ?? '/workspace';
  const user = isRoot(spec.user) ? STRICT.user : (spec.user as string);
  const [uid, gid] = user.split(':');
  const owner = /^\d+$/.test(uid ?? '') ? `,uid=${uid},gid=${/^\d+$/.test(gid ?? '') ? gid : uid}` : '';
  return {
    ...spec,
    labels,
    readOnlyRootfs: true,
    tmpfs: { ...spec.tmpfs, '/tmp': `rw,nosuid,nodev,size=${STRICT.tmpSize},mode=1777`, [workspace]: `rw,nosuid,nodev,size=${STRICT.workspaceSize},mode=0755${owner}` },
    capDrop: ['ALL'],
    capAdd: [],
    securityOpt: [...new Set([...(spec.securityOpt ?? []), 'no-new-privileges'])],
    user,
    pidsLimit: Math.min(spec.pidsLimit ?? STRICT.pidsLimit, STRICT.pidsLimit),
    ...(spec.memory !== undefined ? { memorySwap: spec.memory } : { memorySwap: undefined }),
    network: 'none',
    privileged: false,
  };
}
