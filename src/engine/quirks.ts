import type { EngineKind } from './types.js';

/**
 * Docker vs Podman differences, absorbed here and nowhere else.
 */

/** Podman's compat events say `died` where Docker says `die`. */
export function normaliseEventAction(action: string): string {
  if (action === 'died') return 'die';
  return action.startsWith('health_status') ? 'health_status' : action;
}

/** Docker puts the exit code in `exitCode`, Podman in `containerExitCode`. */
export function eventExitCode(attributes: Record<string, string | undefined>): number | undefined {
  const raw = attributes.exitCode ?? attributes.containerExitCode;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/** Podman names locally built images `localhost/NAME:TAG`; compare names without it. */
export function canonicalImageName(name: string): string {
  let n = name.startsWith('localhost/') ? name.slice('localhost/'.length) : name;
  if (n.startsWith('docker.io/library/')) n = n.slice('docker.io/library/'.length);
  const lastSegment = n.slice(n.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') && !n.includes('@')) n += ':latest';
  return n;
}

export function sameImage(a: string, b: string): boolean {
  return canonicalImageName(a) === canonicalImageName(b);
}

/** Identifies the engine from `/version` (never from the socket's name). */
export function kindFromVersion(version: { Components?: Array<{ Name?: string }> | null }): EngineKind {
  const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name ?? ''));
  return podman ? 'podman' : 'docker';
}

/**
 * Docker before 25 gives a container on an internal network a default route to the
 * bridge's address (its iptables rules drop what leaves the subnet); Podman's CNI and
 * netavark backends and Docker 25+ give none.
 */
export function internalNetworkHasDefaultRoute(kind: EngineKind, version: string): boolean {
  return kind === 'docker' && Number(version.split('.')[0]) < 25;
}

/** Podman's CNI backend cannot run its DNS plugin (dnsname) on internal networks: names and aliases do not resolve there. */
export function internalNetworkResolvesNames(kind: EngineKind): boolean {
  return kind === 'docker';
}

/**
 * tmpfs mount options for the engine. Both take the image directory's mode over `mode=`
 * (runc keeps it), so ownership is how a non-root user gets a writable tmpfs: Docker takes
 * `uid=`/`gid=`, Podman refuses them and takes `U` (chown to the container's user) instead.
 */
export function tmpfsOptionsFor(kind: EngineKind, options: string): string {
  if (kind === 'docker') return options;
  const parts = options.split(',').filter((o) => o !== '');
  const owned = parts.some((o) => /^(uid|gid)=/.test(o));
  const rest = parts.filter((o) => !/^(uid|gid)=/.test(o));
  return (owned && !rest.includes('U') ? [...rest, 'U'] : rest).join(',');
}

/**
 * The create options' security fields for the engine. Docker takes a seccomp profile
 * inline and has no per-container user namespace (`UsernsMode: auto` is dropped: its
 * daemon's `userns-remap` decides). Podman's compat API takes a seccomp profile as a path
 * on its host: `toPath` turns inline JSON into one.
 */
export function securityFieldsFor(kind: EngineKind, hc: { SecurityOpt?: string[]; UsernsMode?: string }, toPath: (json: string) => string): { SecurityOpt?: string[]; UsernsMode?: string } {
  const out = { ...hc };
  if (kind === 'docker') {
    if (out.UsernsMode === 'auto') delete out.UsernsMode;
    return out;
  }
  if (out.SecurityOpt) out.SecurityOpt = out.SecurityOpt.map((o) => (/^seccomp[=:]\s*\{/.test(o) ? `seccomp=${toPath(o.slice('seccomp='.length))}` : o));
  return out;
}

/**
 * Docker (runc through its exec API) answers 126 both when the command is missing and
 * when it cannot be executed, and says which in the exec's output; Podman and a shell
 * answer 127 for a missing one. `head` is the first bytes of the exec's raw output.
 * Returns the exit code as a shell would give it.
 */
export function execStartExitCode(exitCode: number, head: string): number {
  if (exitCode !== 126) return exitCode;
  return /exec failed:.*(executable file not found|no such file or directory)/.test(head) ? 127 : 126;
}

/**
 * Detach keys given to the engine for terminals berth relays: berth watches for the
 * user's detach keys itself (none when `""`), so the engine's own (ctrl-p ctrl-q by
 * default, which an empty setting does not turn off) must never fire: a sequence no one types.
 */
export const ENGINE_DETACH_KEYS = 'ctrl-@,ctrl-],ctrl-@,ctrl-],ctrl-@,ctrl-]';
