import type { BuildFrame } from '../api/routes/images.js';
import { BerthError, ERROR_CODES, type ErrorCode } from '../common/errors.js';
import type { BuildImageResult } from '../image/image-builder.js';
import type { BuildCallOptions, BuildRequest, EnsureBaseImageOptions, EnsureBaseImageResult, ImageInfo, ImagesApi, PruneImagesOptions } from '../image/images-api.js';
import type { ImageVariant } from '../image/variants.js';
import { call, errorFrom, open, query, seg, type Endpoint } from './http.js';

/** berth's images through the daemon; the same interface as `Berth.images`. */
export class ImagesClient implements ImagesApi {
  constructor(private readonly ep: Endpoint) {}

  build(req: BuildRequest, o: BuildCallOptions = {}): Promise<BuildImageResult> {
    return this.stream('/v1/images/build', req, o);
  }

  ensureBaseImage(variant: ImageVariant, o: EnsureBaseImageOptions & BuildCallOptions = {}): Promise<EnsureBaseImageResult> {
    const { onEvent, signal, ...rest } = o;
    return this.stream('/v1/images/ensure', { ...rest, variant }, { ...(onEvent ? { onEvent } : {}), ...(signal ? { signal } : {}) });
  }

  list(): Promise<ImageInfo[]> {
    return call(this.ep, 'GET', '/v1/images');
  }

  remove(name: string, o: { force?: boolean } = {}): Promise<{ removed: boolean }> {
    return call(this.ep, 'DELETE', `/v1/images/${seg(name)}?${query({ force: o.force ? 'true' : undefined })}`);
  }

  prune(o: PruneImagesOptions = {}): Promise<{ removed: string[] }> {
    return call(this.ep, 'POST', '/v1/images/prune', o);
  }

  /** Reads an NDJSON build response: events to `onEvent`, then the result or the daemon's BerthError. */
  private async stream<T>(path: string, body: unknown, o: BuildCallOptions): Promise<T> {
    const res = await open(this.ep, 'POST', path, body);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    // Hanging up cancels the build on the daemon.
    const cancelled = () => new BerthError('Timeout', 'the build was cancelled');
    const cancel = () => res.destroy(cancelled());
    if (o.signal?.aborted) cancel();
    o.signal?.addEventListener('abort', cancel, { once: true });
    const { createInterface } = await import('node:readline');
    try {
      for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
        if (!line) continue;
        const f = JSON.parse(line) as BuildFrame;
        if ('event' in f) o.onEvent?.(f.event);
        else if ('result' in f) return f.result as T;
        else {
          const code = (ERROR_CODES as readonly string[]).includes(f.error.code) ? (f.error.code as ErrorCode) : 'Internal';
          throw new BerthError(code, f.error.message, { details: (f.error.details as Record<string, unknown> | undefined) ?? {} });
        }
      }
    } finally {
      o.signal?.removeEventListener('abort', cancel);
    }
    if (o.signal?.aborted) throw cancelled();
    throw new BerthError('DaemonUnavailable', 'the daemon closed the build stream before the build finished');
  }
}
