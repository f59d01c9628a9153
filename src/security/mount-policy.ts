import { z } from 'zod';
import type { FieldProblem } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';

/** Host paths a bind mount may never expose, each under the rule that names it in a denial. */
export const SYSTEM_DIRS: readonly string[] = ['/etc', '/proc', '/sys', '/dev', '/root', '/boot'];

/** Sockets and data directories of Docker, Podman and containerd at their usual places. */
export const ENGINE_SOCKETS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/podman/podman.sock',
  '/var/run/podman/podman.sock',
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
];
export const ENGINE_DATA_DIRS: readonly string[] = [
  '/var/lib/docker',
  '/var/lib/containers',
  '/var/lib/containerd',
  '/run/containers',
  '/run/docker',
  '/run/containerd',
  '/run/podman',
  '/run/runc',
];

/** Which host paths bind mounts may use. */
export interface MountPolicy {
  /**
   * When set, bind sources must lie under one of these host directories (after symlinks
   * are resolved). Default: unset, any path the deny rules leave alone.
   */
  allowRoots?: string[];
  /** More host paths to deny (with everything under them), e.g. berth's own data dir. */
  deny?: string[];
  /** The connected engine's socket, denied by whatever path reaches it. */
  engineSocket?: string;
}

export const mountPolicySchema = z.strictObject({
  allowRoots: z.array(z.string().regex(/^\//, 'must be an absolute path')).optional(),
  deny: z.array(z.string().regex(/^\//, 'must be an absolute path')).optional(),
});

/** Every problem of a mount policy given to `Berth.connect`, with `mountPolicy.` paths. */
export function mountPolicyProblems(policy: unknown): FieldProblem[] {
  if (policy === undefined) return [];
  const r = mountPolicySchema.extend({ engineSocket: z.string().optional() }).safeParse(policy);
  return r.success ? [] : problemsFromZod(r.error).map((p) => ({ ...p, path: `mountPolicy.${p.path}` }));
}
