import { z } from 'zod';
import { BerthError } from '../common/errors.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { isRootWithoutImage } from './image-user.js';
import { STRICT_SECCOMP_OPT } from './seccomp-profile.js';

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

/** Security options a strict spec may carry: no-new-privileges and SELinux label types; anything else (seccomp, apparmor, systempaths, label=disable, ...) loosens the profile. */
const STRICT_SECURITY_OPT = /^(no-new-privileges([:=]true)?|label[:=](type|level|user|role):[A-Za-z0-9_.:-]+)$/;

/** Host-facing fields a strict spec may not carry at all (devices and host namespaces), whatever their value. */
const STRICT_FORBIDDEN_KEYS = ['devices', 'deviceCgroupRules', 'pidMode', 'ipcMode', 'utsMode', 'usernsMode', 'cgroupnsMode', 'cgroupParent', 'sysctls', 'volumesFrom'];

/** tmpfs options that undo strict's nosuid/nodev/noexec-free defaults: exec is allowed, suid and dev are not. */
const UNSAFE_TMPFS = /(^|,)(suid|dev)(,|$)/;

/**
 * Returns `spec` under `profile`. `standard` only labels it (the builder's defaults are
 * the standard profile). `strict` forces a read-only root with tmpfs for /tmp and the
 * workspace (owned by the user when it is numeric), no capabilities, no-new-privileges,
 * a non-root user (65534 unless the spec names another), a pids limit, swap equal to
 * memory, no network, berth's own seccomp profile and a user namespace of its own where
 * the engine gives one (`userns: 'auto'`). A spec that explicitly asks for what strict
 * forbids is `PolicyDenied`, naming each field: privileges, capabilities, a root user by
 * any numeric spelling, security options other than no-new-privileges and label types,
 * devices, host namespaces, suid/dev tmpfs. A user name is checked against the image's
 * /etc/passwd when the container exists (`assertNonRoot`).
 */
export function applyProfile(spec: Partial<ContainerSpec>, profile: SecurityProfileName, options: ApplyProfileOptions = {}): Partial<ContainerSpec> {
  const labels = { ...spec.labels, [PROFILE_LABEL]: profile };
  if (profile === 'standard') return { ...spec, labels };
  const raw = spec as Record<string, unknown>;
  const conflicts = [
    spec.privileged ? 'privileged' : undefined,
    spec.capAdd?.length ? 'capAdd' : undefined,
    spec.readOnlyRootfs === false ? 'readOnlyRootfs' : undefined,
    spec.network !== undefined && spec.network !== 'none' ? 'network' : undefined,
    ...(spec.securityOpt ?? []).map((o, i) => (STRICT_SECURITY_OPT.test(o) ? undefined : `securityOpt.${i}`)),
    spec.memorySwap === -1 ? 'memorySwap' : undefined,
    spec.user !== undefined && isRootWithoutImage(spec.user) ? 'user' : undefined,
    ...Object.entries(spec.tmpfs ?? {}).map(([path, o]) => (UNSAFE_TMPFS.test(o) ? `tmpfs.${path}` : undefined)),
    ...STRICT_FORBIDDEN_KEYS.filter((k) => raw[k] !== undefined),
    spec.userns !== undefined && spec.userns !== 'auto' ? 'userns' : undefined,
  ].filter((c): c is string => c !== undefined);
  if (conflicts.length) {
    throw new BerthError('PolicyDenied', `the strict profile forbids ${conflicts.join(', ')}; drop ${conflicts.length > 1 ? 'those fields' : 'that field'} or use the standard profile`, {
      details: { problems: conflicts.map((path) => ({ path, message: 'is not allowed under the strict profile' })) },
    });
  }
  const workspace = options.workspace ?? '/workspace';
  const user = spec.user ?? STRICT.user;
  const [uid, gid] = user.split(':');
  const owner = /^\d+$/.test(uid ?? '') ? `,uid=${uid},gid=${/^\d+$/.test(gid ?? '') ? gid : uid}` : '';
  return {
    ...spec,
    labels,
    readOnlyRootfs: true,
    tmpfs: { ...spec.tmpfs, '/tmp': `rw,nosuid,nodev,size=${STRICT.tmpSize},mode=1777`, [workspace]: `rw,nosuid,nodev,size=${STRICT.workspaceSize},mode=0755${owner}` },
    capDrop: ['ALL'],
    capAdd: [],
    securityOpt: [...new Set([...(spec.securityOpt ?? []), 'no-new-privileges', STRICT_SECCOMP_OPT])],
    userns: 'auto',
    user,
    pidsLimit: Math.min(spec.pidsLimit ?? STRICT.pidsLimit, STRICT.pidsLimit),
    ...(spec.memory !== undefined ? { memorySwap: spec.memory } : { memorySwap: undefined }),
    network: 'none',
    privileged: false,
  };
}
