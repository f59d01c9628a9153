import { z } from 'zod';
import type { FieldProblem } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';

/**
 * Host trees that give root when a sandbox can write them (or read them, for /proc, /sys
 * and /dev), denied to every caller with everything under them. `/lib*` covers lib, lib32,
 * lib64 and libx32.
 */
export const SYSTEM_DIRS: readonly string[] = [
  '/etc', '/proc', '/sys', '/dev', '/root', '/boot', '/usr', '/bin', '/sbin',
  '/lib', '/lib32', '/lib64', '/libx32', '/opt', '/var/spool', '/var/lib/systemd', '/var/lib/dbus',
];

/**
 * Directories holding engine and system control sockets (berth's own, Docker's, Podman's,
 * containerd's, systemd's, D-Bus's, and every user's runtime dir): a socket in a mounted
 * directory is reachable from the sandbox even read-only, so the whole tree is denied.
 */
export const SOCKET_DIRS: readonly string[] = ['/run', '/var/run', '/var/run/dbus', '/tmp/.X11-unix'];

/** Home directories: denied unless an allowed root lies under them (see `allowRoots`, `untrustedRoots`). */
export const HOME_DIRS: readonly string[] = ['/home'];

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
  '/var/lib/kubelet',
  '/run/containers',
  '/run/docker',
  '/run/containerd',
  '/run/podman',
  '/run/runc',
];

/** The config key that lets untrusted callers bind host directories; named in every denial of theirs. */
export const UNTRUSTED_ROOTS_KEY = 'mounts.untrustedRoots';

/** Which host paths bind mounts may use. */
export interface MountPolicy {
  /**
   * When set, bind sources of every caller must lie under one of these host directories
   * (after symlinks are resolved). Default: unset, any path the deny rules leave alone.
   */
  allowRoots?: string[];
  /**
   * Host directories under which untrusted callers (MCP tools, workflow files, requests
   * marked untrusted) may bind. Default: none, so they get no bind mounts at all.
   */
  untrustedRoots?: string[];
  /** More host paths to deny (with everything under them), e.g. berth's own data dir. */
  deny?: string[];
  /** The connected engine's socket: it and its directory are denied by whatever path reaches them. */
  engineSocket?: string;
}

const absolute = z.array(z.string().regex(/^\//, 'must be an absolute path'));

export const mountPolicySchema = z.strictObject({
  allowRoots: absolute.optional(),
  untrustedRoots: absolute.optional(),
  deny: absolute.optional(),
});

/** Every problem of a mount policy given to `Berth.connect`, with `mountPolicy.` paths. */
export function mountPolicyProblems(policy: unknown): FieldProblem[] {
  if (policy === undefined) return [];
  const r = mountPolicySchema.extend({ engineSocket: z.string().optional() }).safeParse(policy);
  return r.success ? [] : problemsFromZod(r.error).map((p) => ({ ...p, path: `mountPolicy.${p.path}` }));
}
