import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BerthError, invalidArgument } from '../common/errors.js';
import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine, ImageSummary } from '../engine/engine.js';
import { parse } from '../api/parse.js';
import { buildImage, type BuildImageResult } from './image-builder.js';
import {
  buildRequestSchema,
  ensureRequestSchema,
  pruneRequestSchema,
  type BuildCallOptions,
  type BuildRequest,
  type EnsureBaseImageOptions,
  type EnsureBaseImageResult,
  type ImageInfo,
  type ImagesApi,
  type PruneImagesOptions,
} from './images-api.js';
import { contentHash, DEBIAN_BASE_IMAGE, variantDockerfile, variantTag, type ImageVariant } from './variants.js';

export interface ImageServiceDeps {
  engine: Engine;
  log: Logger;
  /** The `BASE_IMAGE` of each variant when a call names none; default the Dockerfile's own (`ubuntu:22.04`, `alpine:3.19`). */
  baseImages?: Partial<Record<ImageVariant, string>>;
  /** Throws `PolicyDenied` for a host path a build may not read (the mount rules: a context is a read of the host). */
  checkHostPath?: (path: string, field: string) => void;
}

function infoOf(s: ImageSummary): ImageInfo {
  const hash = s.labels[LABELS.imageHash];
  return { id: s.id, tags: s.tags, variant: s.labels[LABELS.image] ?? 'custom', ...(hash ? { hash } : {}), size: s.size, created: s.created, labels: s.labels };
}

/** Builds, ensures, lists and removes berth's images on one engine. */
export class ImageService implements ImagesApi {
  /** Ensures in flight, by tag: concurrent callers share one build. */
  private readonly inFlight = new Map<string, Promise<EnsureBaseImageResult>>();

  constructor(private readonly d: ImageServiceDeps) {}

  async build(input: BuildRequest, o: BuildCallOptions = {}): Promise<BuildImageResult> {
    const req = parse(buildRequestSchema, input, 'build request');
    if (req.context) this.d.checkHostPath?.(req.context, 'context');
    if (req.dockerfile) this.d.checkHostPath?.(req.dockerfile, 'dockerfile');
    if (!req.context) {
      const r = await this.ensureBaseImage(req.variant ?? 'ubuntu', {
        force: true,
        ...(req.baseImage ? { baseImage: req.baseImage } : {}),
        ...(req.dockerfile ? { dockerfile: req.dockerfile } : {}),
        ...(req.tag ? { tag: req.tag } : {}),
        ...(req.labels ? { labels: req.labels } : {}),
        ...(req.noCache ? { noCache: true } : {}),
        ...(o.onEvent ? { onEvent: o.onEvent } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return { image: r.image, imageId: r.imageId, tags: [r.image], steps: r.steps, durationMs: r.durationMs };
    }
    return buildImage(
      this.d.engine.info,
      {
        context: req.context,
        ...(req.dockerfile ? { dockerfile: req.dockerfile } : {}),
        tags: [req.tag as string],
        buildArgs: { ...req.buildArgs, ...(req.baseImage ? { BASE_IMAGE: req.baseImage } : {}) },
        labels: { ...req.labels, [LABELS.managed]: 'true', [LABELS.image]: 'custom' },
        ...(req.target ? { target: req.target } : {}),
        ...(req.noCache ? { noCache: true } : {}),
      },
      o,
      this.d.log,
    );
  }

  async ensureBaseImage(variant: ImageVariant, options: EnsureBaseImageOptions & BuildCallOptions = {}): Promise<EnsureBaseImageResult> {
    const { onEvent, signal, ...rest } = options;
    const o = parse(ensureRequestSchema, { ...rest, variant }, 'ensureBaseImage options');
    const tag = o.tag ?? variantTag(variant);
    const pending = this.inFlight.get(tag);
    if (pending) return pending;
    const run = this.ensure(variant, tag, o, { ...(onEvent ? { onEvent } : {}), ...(signal ? { signal } : {}) }).finally(() => this.inFlight.delete(tag));
    this.inFlight.set(tag, run);
    return run;
  }

  private async ensure(variant: ImageVariant, tag: string, o: EnsureBaseImageOptions, call: BuildCallOptions): Promise<EnsureBaseImageResult> {
    if (o.dockerfile) this.d.checkHostPath?.(o.dockerfile, 'dockerfile');
    const dockerfile = o.dockerfile ?? variantDockerfile(variant);
    let text: string;
    try {
      text = readFileSync(dockerfile, 'utf8');
    } catch (err) {
      throw new BerthError('NotFound', `cannot read the ${variant} Dockerfile at ${dockerfile}; reinstall berth or pass another dockerfile`, { cause: err });
    }
    const base = o.baseImage ?? this.d.baseImages?.[variant];
    const buildArgs: Record<string, string> = base ? { BASE_IMAGE: base } : {};
    const hash = contentHash(text, buildArgs);
    const t0 = performance.now();
    if (!o.force) {
      const have = await this.d.engine.inspectImage(tag);
      // With no base asked for, an image of this Dockerfile built on any base berth knows is current.
      const bases = base ? [] : [have?.labels[LABELS.imageBase], DEBIAN_BASE_IMAGE].filter((b): b is string => !!b);
      const current = [hash, ...bases.map((b) => contentHash(text, { BASE_IMAGE: b }))];
      if (have && current.includes(have.labels[LABELS.imageHash] ?? '')) {
        return { image: tag, imageId: have.id, hash, built: false, steps: 0, durationMs: Math.round(performance.now() - t0) };
      }
    }
    this.d.log.info({ variant, tag, hash, base }, 'building base image');
    const r = await buildImage(
      this.d.engine.info,
      {
        context: dirname(dockerfile),
        dockerfile,
        tags: [tag],
        buildArgs,
        labels: { ...o.labels, [LABELS.managed]: 'true', [LABELS.image]: variant, [LABELS.imageHash]: hash, ...(base ? { [LABELS.imageBase]: base } : {}) },
        ...(o.noCache ? { noCache: true } : {}),
      },
      call,
      this.d.log,
    ).catch((err: unknown) => {
      const e = BerthError.from(err);
      if (base || call.signal?.aborted) throw e;
      throw new BerthError(
        e.code,
        `${e.message}\n(no registry is reachable from here: build the ${variant} image on a local base with \`berth image build --variant ${variant} --base ${DEBIAN_BASE_IMAGE}\`, or set BERTH_BASE_IMAGE_${variant.toUpperCase()} for the daemon)`,
        { details: e.details, cause: err },
      );
    });
    return { image: tag, imageId: r.imageId, hash, built: true, steps: r.steps, durationMs: r.durationMs };
  }

  async list(): Promise<ImageInfo[]> {
    return (await this.d.engine.listImages([LABELS.image])).map(infoOf);
  }

  async remove(name: string, o: { force?: boolean } = {}): Promise<{ removed: boolean }> {
    if (typeof name !== 'string' || !name) throw invalidArgument([{ path: 'name', message: 'is required (an image name or id)' }], 'image removal');
    const img = await this.d.engine.inspectImage(name);
    if (!img) throw new BerthError('NotFound', `no image "${name}" on ${this.d.engine.info.kind}; \`berth image ls\` lists berth's images`, { details: { image: name } });
    if (img.labels[LABELS.image] === undefined) {
      throw new BerthError('PolicyDenied', `"${name}" was not built by berth (no ${LABELS.image} label); remove it with the engine's own CLI`, { details: { image: name } });
    }
    return this.d.engine.removeImage(name, { force: o.force ?? false });
  }

  async prune(input: PruneImagesOptions = {}): Promise<{ removed: string[] }> {
    const o = parse(pruneRequestSchema, input, 'prune options');
    const removed: string[] = [];
    const labels = [LABELS.image, ...Object.entries(o.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
    for (const img of await this.d.engine.listImages(labels)) {
      if (img.tags.length > 0 && !o.all) continue;
      for (const name of img.tags.length ? img.tags : [img.id]) {
        try {
          if ((await this.d.engine.removeImage(name)).removed) removed.push(name);
        } catch (err) {
          if (!BerthError.is(err, 'Conflict')) throw err;
          this.d.log.debug({ image: name }, 'prune: image in use, kept');
        }
      }
    }
    return { removed };
  }
}
