import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';

/**
 * The security option a spec carries for berth's strict seccomp profile
 * (container/seccomp-strict.json); `toCreateOptions` puts the profile itself in its place.
 */
export const STRICT_SECCOMP_OPT = 'seccomp=berth-strict';

/** Marker in the profile's `comment`, by which the score recognises it inline. */
export const STRICT_SECCOMP_MARKER = "berth's strict seccomp profile";

/** Path of the profile in the package (Podman's API takes a path). */
export function strictSeccompPath(): string {
  return join(packageRoot(), 'container', 'seccomp-strict.json');
}

let json: string | undefined;

/** The profile as one line of JSON (Docker's API takes it inline). */
export function strictSeccompJson(): string {
  return (json ??= JSON.stringify(JSON.parse(readFileSync(strictSeccompPath(), 'utf8'))));
}

/** True when a `SecurityOpt` entry of an inspected container is berth's strict profile (inline on Docker, a path on Podman). */
export function isStrictSeccompOpt(opt: string): boolean {
  return /^seccomp[=:]/.test(opt) && (opt.includes(STRICT_SECCOMP_MARKER) || opt.endsWith('/container/seccomp-strict.json'));
}
