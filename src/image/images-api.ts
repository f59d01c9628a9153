import { z } from 'zod';
import type { BuildEvent } from './build-progress.js';
import type { BuildImageResult } from './image-builder.js';
import { IMAGE_VARIANTS, type ImageVariant } from './variants.js';

/**
 * A build: a variant's Dockerfile (`variant`, default `ubuntu`, tagged `berth-image:<variant>`),
 * or a custom one (`context` and `tag`). Either way the engine's CLI builds it.
 */
export interface BuildRequest {
  /** Build berth's variant image; conflicts with `context`. */
  variant?: ImageVariant;
  /** The `BASE_IMAGE` build arg, e.g. a local base (`berth-base:debian-bookworm`). */
  baseImage?: string;
  /** A custom build's context directory (absolute, on the daemon's host). */
  context?: string;
  /** A custom Dockerfile (absolute); default `<context>/Dockerfile`, or the variant's. */
  dockerfile?: string;
  /** `name:tag`; default `berth-image:<variant>`; required with `context`. */
  tag?: string;
  /** The stage to stop at in a multi-stage Dockerfile. */
  target?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Ignore the engine's layer cache; default false. */
  noCache?: boolean;
}

export interface EnsureBaseImageOptions {
  /** The `BASE_IMAGE` build arg; default the configured base of the variant, else the Dockerfile's own. */
  baseImage?: string;
  /** Another Dockerfile for the variant (absolute); default the packaged one. */
  dockerfile?: string;
  /** Default `berth-image:<variant>`. */
  tag?: string;
  /** More labels (tests add theirs). */
  labels?: Record<string, string>;
  /** Build even when the image is current; default false. */
  force?: boolean;
  noCache?: boolean;
}

export interface EnsureBaseImageResult {
  image: string;
  imageId: string;
  /** The content hash in the image's `berth.image.hash` label. */
  hash: string;
  /** False when the image was already there with this hash (nothing was run). */
  built: boolean;
  /** Steps the builder announced (0 when nothing was built). */
  steps: number;
  /** Wall time, ms (of the build when one ran). */
  durationMs: number;
}

/** An image berth built (it carries the `berth.image` label). */
export interface ImageInfo {
  id: string;
  /** `name:tag`, without Podman's `localhost/`; empty when dangling. */
  tags: string[];
  /** `ubuntu`, `alpine` or `custom`. */
  variant: string;
  /** The content hash of a variant image. */
  hash?: string;
  /** Bytes. */
  size: number;
  /** ISO 8601. */
  created: string;
  labels: Record<string, string>;
}

export interface PruneImagesOptions {
  /** Tagged images too, not only dangling ones; default false. */
  all?: boolean;
  /** Only images with all these labels. */
  labels?: Record<string, string>;
}

export interface BuildCallOptions {
  /** Told of every step and output line. */
  onEvent?: (e: BuildEvent) => void;
  /**
   * Cancels the build: the engine's CLI is stopped, nothing is tagged, and the call fails
   * with `Timeout`. (An ensure that joined a build another caller started does not stop it.)
   */
  signal?: AbortSignal;
}

/** Images berth builds, in-process (`berth.images`) and through the daemon (`client.images`). */
export interface ImagesApi {
  /** Builds a variant or a custom Dockerfile; `InvalidArgument` with `details.step` and `details.lastLines` when a step fails. */
  build(req: BuildRequest, o?: BuildCallOptions): Promise<BuildImageResult>;
  /** The variant's image, built when missing or when its Dockerfile's content hash changed. */
  ensureBaseImage(variant: ImageVariant, o?: EnsureBaseImageOptions & BuildCallOptions): Promise<EnsureBaseImageResult>;
  list(): Promise<ImageInfo[]>;
  /** Removes one of berth's images by name or id; `PolicyDenied` for an image berth did not build. */
  remove(name: string, o?: { force?: boolean }): Promise<{ removed: boolean }>;
  /** Removes berth's dangling images (with `all`, every one no container uses); `labels` narrows to images carrying them all. */
  prune(o?: PruneImagesOptions): Promise<{ removed: string[] }>;
}

const absolute = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');
const tag = z.string().regex(/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/, 'must be name[:tag] in lower case');
const labelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must be letters, digits, . _ / -');
const argKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a build-arg name');

export const buildRequestSchema = z
  .strictObject({
    variant: z.enum(IMAGE_VARIANTS).optional(),
    baseImage: z.string().min(1).optional(),
    context: absolute.optional(),
    dockerfile: absolute.optional(),
    tag: tag.optional(),
    target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a stage name').optional(),
    buildArgs: z.record(argKey, z.string()).optional(),
    labels: z.record(labelKey, z.string()).optional(),
    noCache: z.boolean().optional(),
  })
  .refine((r) => !(r.variant && r.context), { message: 'give variant or context, not both', path: ['context'] })
  .refine((r) => !r.context || r.tag, { message: 'is required with context', path: ['tag'] });

export const pruneRequestSchema = z.strictObject({ all: z.boolean().optional(), labels: z.record(labelKey, z.string()).optional() });

export const ensureRequestSchema = z.strictObject({
  variant: z.enum(IMAGE_VARIANTS),
  baseImage: z.string().min(1).optional(),
  dockerfile: absolute.optional(),
  tag: tag.optional(),
  labels: z.record(labelKey, z.string()).optional(),
  force: z.boolean().optional(),
  noCache: z.boolean().optional(),
});
