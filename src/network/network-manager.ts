import { plainName } from '../engine/names.js';
import { z } from 'zod';
import { BerthError, invalidArgument } from '../common/errors.js';
import { LABELS, ownershipLabels } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import type { EngineNetwork } from '../engine/networks.js';
import { parse } from '../api/parse.js';
import { sessionNetworkName } from './network-policy.js';
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
} from './networks-api.js';

const SESSION_PREFIX = sessionNetworkName('');
const RESERVED = new Set<string>([LABELS.managed, LABELS.instance, LABELS.session]);
const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'may use letters, digits, _ . - (up to 63), starting with a letter or digit');
const labels = z.record(z.string().min(1), z.string()).refine((l) => !Object.keys(l).some((k) => RESERVED.has(k)), `${[...RESERVED].join(', ')} are set by berth`);

/** The body of a create request (OpenAPI reuses it). */
export const createNetworkSchema = z.strictObject({
  name: name.refine((n) => !n.startsWith(SESSION_PREFIX) && !['none', 'bridge', 'host', 'podman'].includes(n), `is kept for the engine or for session networks (${SESSION_PREFIX}*)`),
  internal: z.boolean().optional(),
  labels: labels.optional(),
});
const listSchema = z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional();
/** The body of a connect request. */
export const connectNetworkSchema = z.strictObject({ container: z.string().min(1), aliases: z.array(name).max(16).optional() });
/** The body of a disconnect request. */
export const disconnectNetworkSchema = z.strictObject({ container: z.string().min(1), force: z.boolean().optional() });

function requireRef(ref: unknown): string {
  if (typeof ref !== 'string' || !ref) throw invalidArgument([{ path: 'network', message: 'is required (a network id or name)' }], 'network reference');
  return ref;
}

function userLabels(l: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(l).filter(([k]) => !RESERVED.has(k)));
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

export interface NetworkManagerDeps {
  engine: Engine;
  /** Owner label of what this manager creates and sees (`berth.instance`). */
  instance: string;
  log: Logger;
  /** True while the session (id) is live; its network is then kept by prune and release. Default: none is. */
  sessionLive?: (sessionId: string) => boolean;
}

/** This instance's berth-labelled networks: create (idempotent by name), list, inspect, remove, connect, disconnect, prune. */
export class NetworkManager implements NetworksApi {
  constructor(private readonly d: NetworkManagerDeps) {}

  async create(request: CreateNetworkRequest): Promise<Network> {
    const r = parse(createNetworkSchema, request, 'network request');
    return this.ensure(r.name, r.internal ?? true, r.labels ?? {});
  }

  /**
   * The isolated network of a session (internal, labelled with the session and `labels`),
   * made when missing. Returns its name.
   */
  async ensureSessionNetwork(sessionId: string, labels: Record<string, string>): Promise<string> {
    const n = await this.ensure(sessionNetworkName(sessionId), true, { ...userLabels(labels), [LABELS.session]: sessionId });
    return n.name;
  }

  async list(request: ListNetworksRequest = {}): Promise<Network[]> {
    const r = parse(listSchema, request, 'network list request');
    const wanted = [`${LABELS.managed}=true`, `${LABELS.instance}=${this.d.instance}`, ...Object.entries(r?.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
    const rows = await this.d.engine.networks.list(wanted);
    return Promise.all(rows.filter((n) => this.owns(n)).map((n) => this.view(n)));
  }

  async inspect(idOrName: string): Promise<Network> {
    return this.view(await this.own(requireRef(idOrName)));
  }

  async remove(idOrName: string): Promise<RemoveNetworkResult> {
    const n = await this.own(requireRef(idOrName));
    const attached = await this.d.engine.networks.containersOn(n.id);
    if (attached.length) {
      const names = attached.map((c) => c.name);
      throw new BerthError(
        'Conflict',
        `network ${n.name} has containers attached: ${names.join(', ')}; disconnect them (berth network disconnect ${n.name} <container>) or end their sessions first`,
        { details: { network: n.name, containers: names } },
      );
    }
    await this.d.engine.networks.remove(n.id);
    this.d.log.info({ network: n.name }, 'network removed');
    return { id: n.id, name: n.name };
  }

  async connect(idOrName: string, request: ConnectNetworkRequest): Promise<ConnectResult> {
    const r = parse(connectNetworkSchema, request, 'connect request');
    const n = await this.own(requireRef(idOrName));
    const container = await this.ownContainer(r.container);
    if (container.networkMode === 'none' || container.networkMode === 'host') {
      throw new BerthError(
        'Conflict',
        `container ${container.name} runs with network ${container.networkMode} and cannot join other networks; create it on a network (a session with network: 'isolated' or 'bridge')`,
        { details: { container: container.name, networkMode: container.networkMode } },
      );
    }
    return this.d.engine.networks.connect(n.id, container.id, r.aliases ? { aliases: r.aliases } : {});
  }

  async disconnect(idOrName: string, request: DisconnectNetworkRequest): Promise<ConnectResult> {
    const r = parse(disconnectNetworkSchema, request, 'disconnect request');
    const n = await this.own(requireRef(idOrName));
    const container = await this.ownContainer(r.container);
    return this.d.engine.networks.disconnect(n.id, container.id, { force: r.force ?? false });
  }

  async prune(): Promise<PruneNetworksResult> {
    return this.sweep(() => true);
  }

  /** Removes session networks whose sessions are no longer live and that no container uses (session end, reconcile). */
  async releaseSessionNetworks(): Promise<PruneNetworksResult> {
    return this.sweep((n) => n.labels[LABELS.session] !== undefined);
  }

  private async sweep(candidate: (n: EngineNetwork) => boolean): Promise<PruneNetworksResult> {
    const rows = await this.d.engine.networks.list([`${LABELS.managed}=true`, `${LABELS.instance}=${this.d.instance}`]);
    const removed: string[] = [];
    for (const n of rows.filter((x) => this.owns(x) && candidate(x))) {
      const sid = n.labels[LABELS.session];
      if (sid && this.d.sessionLive?.(sid)) continue;
      if ((await this.d.engine.networks.containersOn(n.id)).length) continue;
      if ((await this.d.engine.networks.remove(n.id)).removed) removed.push(n.name);
    }
    if (removed.length) this.d.log.info({ networks: removed }, 'unused networks removed');
    return { removed };
  }

  private async ensure(netName: string, internal: boolean, labels: Record<string, string>): Promise<Network> {
    const existing = await this.d.engine.networks.find(netName);
    if (existing) return this.view(this.matching(existing, internal, labels));
    try {
      await this.d.engine.networks.create({ name: netName, internal, labels: { ...labels, ...ownershipLabels(this.d.instance) } });
    } catch (err) {
      const raced = BerthError.is(err, 'Conflict') ? await this.d.engine.networks.find(netName) : undefined;
      if (!raced) throw err;
      return this.view(this.matching(raced, internal, labels));
    }
    this.d.log.info({ network: netName, internal }, 'network created');
    return this.view(await this.d.engine.networks.inspect(netName));
  }

  /** The existing network when it is ours with the same options; `Conflict` otherwise. */
  private matching(n: EngineNetwork, internal: boolean, labels: Record<string, string>): EngineNetwork {
    if (!this.owns(n)) {
      throw new BerthError('Conflict', `a network named ${n.name} exists and is not one of this berth's; choose another name`, { details: { network: n.name } });
    }
    const session = labels[LABELS.session];
    if (n.internal !== internal || !sameLabels(userLabels(n.labels), userLabels(labels)) || n.labels[LABELS.session] !== session) {
      throw new BerthError(
        'Conflict',
        `network ${n.name} exists with other options (internal: ${n.internal}, labels: ${JSON.stringify(userLabels(n.labels))}); remove it first or use another name`,
        { details: { network: n.name, internal: n.internal, labels: userLabels(n.labels) } },
      );
    }
    return n;
  }

  private owns(n: EngineNetwork): boolean {
    return n.labels[LABELS.managed] === 'true' && n.labels[LABELS.instance] === this.d.instance;
  }

  private async own(ref: string): Promise<EngineNetwork> {
    const n = await this.d.engine.networks.find(ref);
    if (!n || !this.owns(n)) {
      throw new BerthError('NotFound', `no berth network "${ref}"; list them with \`berth network ls\``, { details: { network: ref } });
    }
    return n;
  }

  private async ownContainer(ref: string): Promise<{ id: string; name: string; networkMode: string }> {
    const info = await this.d.engine.inspectContainer(ref).catch((err: unknown) => {
      throw BerthError.is(err, 'NotFound') ? new BerthError('NotFound', `no container "${ref}"`, { details: { container: ref }, cause: err }) : err;
    });
    const l = info.Config.Labels ?? {};
    if (l[LABELS.managed] !== 'true' || l[LABELS.instance] !== this.d.instance) {
      throw new BerthError('NotFound', `no berth container "${ref}" of this instance; berth connects only its own containers`, { details: { container: ref } });
    }
    return { id: info.Id, name: plainName(info.Name), networkMode: info.HostConfig.NetworkMode ?? '' };
  }

  private async view(n: EngineNetwork): Promise<Network> {
    const ips = new Map(n.endpoints.map((e) => [e.containerId, e.ipv4]));
    const attached = await this.d.engine.networks.containersOn(n.id);
    const sid = n.labels[LABELS.session];
    return {
      id: n.id,
      name: n.name,
      internal: n.internal,
      driver: n.driver,
      labels: n.labels,
      ...(sid ? { session: sid } : {}),
      createdAt: n.created,
      subnets: n.subnets,
      gateways: n.gateways,
      containers: attached.map((c) => ({ id: c.id, name: c.name, ipv4: ips.get(c.id) ?? '' })),
    };
  }
}
