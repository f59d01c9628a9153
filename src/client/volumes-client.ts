import type { Volume } from '../volume/volume.js';
import type {
  CreateVolumeRequest,
  GcOptions,
  GcResult,
  ListVolumesRequest,
  PruneVolumesResult,
  RemoveVolumeResult,
  VolumesApi,
} from '../volume/volumes-api.js';
import { call, seg, type Endpoint } from './http.js';

/** `VolumesApi` through the daemon (`/v1/volumes`, `/v1/gc`). */
export class VolumesClient implements VolumesApi {
  constructor(private readonly ep: Endpoint) {}

  create(request: CreateVolumeRequest): Promise<Volume> {
    return call(this.ep, 'POST', '/v1/volumes', request);
  }

  list(r: ListVolumesRequest = {}): Promise<Volume[]> {
    const q = new URLSearchParams();
    if (r.kind) q.set('kind', r.kind);
    if (r.session) q.set('session', r.session);
    for (const [k, v] of Object.entries(r.labels ?? {})) q.append('label', `${k}=${v}`);
    const qs = q.toString();
    return call(this.ep, 'GET', `/v1/volumes${qs ? `?${qs}` : ''}`);
  }

  inspect(name: string): Promise<Volume> {
    return call(this.ep, 'GET', `/v1/volumes/${seg(name)}`);
  }

  remove(name: string): Promise<RemoveVolumeResult> {
    return call(this.ep, 'DELETE', `/v1/volumes/${seg(name)}`);
  }

  prune(): Promise<PruneVolumesResult> {
    return call(this.ep, 'POST', '/v1/volumes/prune', {});
  }

  gc(options: GcOptions = {}): Promise<GcResult> {
    return call(this.ep, 'POST', '/v1/gc', options);
  }
}
