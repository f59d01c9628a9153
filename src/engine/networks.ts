import type Docker from 'dockerode';
import { BerthError } from '../common/errors.js';
import { engineCallTimeout, withTimeout } from './call-timeout.js';
import { engineStatus, translateEngineError } from './errors.js';
import { listedName } from './names.js';

/** What the engine says of one network, the same on Docker and Podman. */
export interface EngineNetwork {
  id: string;
  name: string;
  driver: string;
  /** No route out of the network (see `internalNetworkHasDefaultRoute` for Docker before 25). */
  internal: boolean;
  labels: Record<string, string>;
  /** ISO time. */
  created: string;
  /** IPv4 subnets in CIDR form, e.g. `10.89.0.0/24`. */
  subnets: string[];
  /** The subnets' gateways; empty when there is none (Podman's internal networks). */
  gateways: string[];
  /** Running containers with an endpoint on the network (engines list no stopped ones here). */
  endpoints: EngineNetworkEndpoint[];
}

export interface EngineNetworkEndpoint {
  containerId: string;
  containerName: string;
  /** IPv4 address without the prefix length; empty when none. */
  ipv4: string;
}

export interface EngineNetworkCreate {
  name: string;
  internal: boolean;
  labels: Record<string, string>;
}

export interface EngineNetworkConnect {
  /** Names the container answers to on the network (resolved on Docker; see README for Podman). */
  aliases?: string[];
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

function plainAddress(cidr: string | undefined): string {
  return (cidr ?? '').split('/')[0] ?? '';
}

/** Podman writes `<nil>` where a network has no gateway. */
function realGateway(g: string | undefined): string | undefined {
  return g && g !== '<nil>' ? g : undefined;
}

function fromInspect(n: Docker.NetworkInspectInfo): EngineNetwork {
  const config = n.IPAM?.Config ?? [];
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    internal: n.Internal === true,
    labels: n.Labels ?? {},
    created: n.Created,
    subnets: config.map((c) => c.Subnet ?? '').filter(Boolean),
    gateways: config.map((c) => realGateway(c.Gateway)).filter((g): g is string => g !== undefined),
    endpoints: Object.entries(n.Containers ?? {}).map(([id, c]) => ({ containerId: id, containerName: c.Name, ipv4: plainAddress(c.IPv4Address) })),
  };
}

/**
 * Network calls of the engine boundary (`Engine.networks`). Docker/Podman differences
 * are absorbed here: Podman answers 500 where Docker answers 409/403 (duplicate name,
 * network in use, already connected), so state is read first instead of matching errors.
 */
export class EngineNetworks {
  constructor(
    private readonly docker: Docker,
    private readonly call: Call,
  ) {}

  /** Creates a bridge network; returns its id. `Conflict` when the name is taken. */
  async create(o: EngineNetworkCreate): Promise<string> {
    const what = `create network ${o.name}`;
    if (await this.find(o.name)) throw new BerthError('Conflict', `${what}: a network with this name exists`, { details: { network: o.name } });
    const n = await this.call(what, () =>
      this.docker.createNetwork({ Name: o.name, Driver: 'bridge', Internal: o.internal, Labels: o.labels, CheckDuplicate: true }),
    );
    return n.id;
  }

  /** The network by id or name; `NotFound` when there is none. */
  async inspect(idOrName: string): Promise<EngineNetwork> {
    const r = await this.call(`inspect network ${idOrName}`, () => this.docker.getNetwork(idOrName).inspect() as Promise<Docker.NetworkInspectInfo>);
    return fromInspect(r);
  }

  /** The network by id or name, or undefined when there is none. */
  async find(idOrName: string): Promise<EngineNetwork | undefined> {
    try {
      return fromInspect((await withTimeout(`inspect network ${idOrName}`, engineCallTimeout('inspect'), () => this.docker.getNetwork(idOrName).inspect())) as Docker.NetworkInspectInfo);
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return undefined;
      throw translateEngineError(err, `inspect network ${idOrName}`);
    }
  }

  /** Networks carrying all the given labels (`key=value` or `key`), inspected (with endpoints). */
  async list(labels: string[]): Promise<EngineNetwork[]> {
    const rows = await this.call('list networks', () => this.docker.listNetworks({ filters: JSON.stringify({ label: labels }) }));
    const found = await Promise.all(rows.map((r) => this.find(r.Id)));
    return found.filter((n): n is EngineNetwork => n !== undefined);
  }

  /** Ids and names of containers attached to the network, stopped ones included. */
  async containersOn(idOrName: string): Promise<Array<{ id: string; name: string }>> {
    const rows = await this.call(`list containers on network ${idOrName}`, () =>
      this.docker.listContainers({ all: true, filters: JSON.stringify({ network: [idOrName] }) }),
    );
    return rows.map((r) => ({ id: r.Id, name: listedName(r) }));
  }

  /** Removes a network; `removed: false` when it did not exist. */
  async remove(idOrName: string): Promise<{ removed: boolean }> {
    try {
      await withTimeout(`remove network ${idOrName}`, engineCallTimeout('remove'), () => this.docker.getNetwork(idOrName).remove());
      return { removed: true };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return { removed: false };
      throw translateEngineError(err, `remove network ${idOrName}`);
    }
  }

  /** Connects a container; `changed: false` when it already was. */
  async connect(network: string, container: string, o: EngineNetworkConnect = {}): Promise<{ changed: boolean }> {
    if (await this.isConnected(network, container)) return { changed: false };
    await this.call(`connect container ${container} to network ${network}`, () =>
      this.docker.getNetwork(network).connect({ Container: container, ...(o.aliases?.length ? { EndpointConfig: { Aliases: o.aliases } } : {}) }),
    );
    return { changed: true };
  }

  /** Disconnects a container; `changed: false` when it was not connected. */
  async disconnect(network: string, container: string, o: { force?: boolean } = {}): Promise<{ changed: boolean }> {
    if (!(await this.isConnected(network, container))) return { changed: false };
    await this.call(`disconnect container ${container} from network ${network}`, () =>
      this.docker.getNetwork(network).disconnect({ Container: container, Force: o.force ?? false }),
    );
    return { changed: true };
  }

  private async isConnected(network: string, container: string): Promise<boolean> {
    const [n, c] = await Promise.all([
      this.inspect(network),
      this.call(`inspect container ${container}`, () => this.docker.getContainer(container).inspect()),
    ]);
    const nets = c.NetworkSettings?.Networks ?? {};
    return Object.entries(nets).some(([name, ep]) => name === n.name || (ep as { NetworkID?: string }).NetworkID === n.id);
  }
}
