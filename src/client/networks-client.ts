import type {
  ConnectNetworkRequest,
  ConnectResult,
  CreateNetworkRequest,
  DisconnectNetworkRequest,
  ListNetworksRequest,
  Network,
  NetworksApi,
  PruneNetworksResult,
  RemoveNetworkResult,
} from '../network/networks-api.js';
import { call, seg, type Endpoint } from './http.js';

/** The networks API through the daemon (`/v1/networks`); the same interface as `Berth.networks`. */
export class NetworksClient implements NetworksApi {
  constructor(private readonly ep: Endpoint) {}

  create(request: CreateNetworkRequest): Promise<Network> {
    return call(this.ep, 'POST', '/v1/networks', request);
  }

  list(request: ListNetworksRequest = {}): Promise<Network[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(request.labels ?? {})) q.append('label', `${k}=${v}`);
    const qs = q.toString();
    return call(this.ep, 'GET', `/v1/networks${qs ? `?${qs}` : ''}`);
  }

  inspect(idOrName: string): Promise<Network> {
    return call(this.ep, 'GET', `/v1/networks/${seg(idOrName)}`);
  }

  remove(idOrName: string): Promise<RemoveNetworkResult> {
    return call(this.ep, 'DELETE', `/v1/networks/${seg(idOrName)}`);
  }

  connect(idOrName: string, request: ConnectNetworkRequest): Promise<ConnectResult> {
    return call(this.ep, 'POST', `/v1/networks/${seg(idOrName)}/connect`, request);
  }

  disconnect(idOrName: string, request: DisconnectNetworkRequest): Promise<ConnectResult> {
    return call(this.ep, 'POST', `/v1/networks/${seg(idOrName)}/disconnect`, request);
  }

  prune(): Promise<PruneNetworksResult> {
    return call(this.ep, 'POST', '/v1/networks/prune', {});
  }
}
