import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';

/** The base images berth ships a Dockerfile for. */
export const IMAGE_VARIANTS = ['ubuntu', 'alpine'] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];

/** The tag a variant is built as: `berth-image:ubuntu`, `berth-image:alpine`. */
export function variantTag(variant: ImageVariant): string {
  return `berth-image:${variant}`;
}

/** The variant's Dockerfile in the package: `container/Dockerfile` or `container/Dockerfile.alpine`. */
export function variantDockerfile(variant: ImageVariant): string {
  return join(packageRoot(), 'container', variant === 'ubuntu' ? 'Dockerfile' : 'Dockerfile.alpine');
}

/**
 * The content hash kept in the `berth.image.hash` label: the Dockerfile's text and the
 * build args (BASE_IMAGE among them), 16 hex digits. A change in either means a rebuild.
 */
export function contentHash(dockerfileText: string, buildArgs: Record<string, string> = {}): string {
  const h = createHash('sha256').update(dockerfileText).update('\0');
  for (const k of Object.keys(buildArgs).sort()) h.update(`${k}=${buildArgs[k]}\0`);
  return h.digest('hex').slice(0, 16);
}

/** The local Debian 12 base that the install command builds on both engines (scripts/debian-base.sh). */
export const DEBIAN_BASE_IMAGE = 'berth-base:debian-bookworm';
