/** A berth network as the API returns it. */
export interface Network {
  id: string;
  name: string;
  /** No route out; only its own containers reach each other. */
  internal: boolean;
  driver: string;
  /** All labels, berth's own included. */
  labels: Record<string, string>;
  /** The session whose isolated network this is. */
  session?: string;
  /** ISO time. */
  createdAt: string;
  /** IPv4 subnets, CIDR. */
  subnets: string[];
  /** Empty when the network has none (Podman's internal networks). */
  gateways: string[];
  /** Attached containers, stopped ones included; `ipv4` empty while a container is not running. */
  containers: NetworkContainer[];
}

export interface NetworkContainer {
  id: string;
  name: string;
  ipv4: string;
}

export interface CreateNetworkRequest {
  /** Letters, digits, `_ . -`, up to 63; `berth-net-` is kept for session networks. */
  name: string;
  /** No route out (default true); false: egress through the engine's NAT. */
  internal?: boolean;
  /** Your labels; berth adds its own. */
  labels?: Record<string, string>;
}

export interface ListNetworksRequest {
  /** Only those with all these labels. */
  labels?: Record<string, string>;
}

export interface ConnectNetworkRequest {
  /** A berth container of this instance: id or name (a session's is `berth-<session id>`). */
  container: string;
  /** Names it answers to on this network (resolved on Docker; not on Podman's internal networks). */
  aliases?: string[];
}

export interface DisconnectNetworkRequest {
  container: string;
  /** Disconnect even if the engine objects (e.g. the container is gone); default false. */
  force?: boolean;
}

export interface ConnectResult {
  /** False when it already was connected (or, for disconnect, was not). */
  changed: boolean;
}

export interface RemoveNetworkResult {
  id: string;
  name: string;
}

export interface PruneNetworksResult {
  /** Names of the networks removed. */
  removed: string[];
}

/** The networks API: the same in-process (`Berth.networks`) and through the daemon (`BerthClient.networks`). */
export interface NetworksApi {
  /** Idempotent by name: the same name and options give the existing network; other options are `Conflict`. */
  create(request: CreateNetworkRequest): Promise<Network>;
  list(request?: ListNetworksRequest): Promise<Network[]>;
  /** `NotFound` unless it is a berth network of this instance. */
  inspect(idOrName: string): Promise<Network>;
  /** `Conflict` while containers are attached (named in the message); `NotFound` when unknown. */
  remove(idOrName: string): Promise<RemoveNetworkResult>;
  connect(idOrName: string, request: ConnectNetworkRequest): Promise<ConnectResult>;
  disconnect(idOrName: string, request: DisconnectNetworkRequest): Promise<ConnectResult>;
  /** Removes this instance's networks with no container attached, except those of live sessions. */
  prune(): Promise<PruneNetworksResult>;
}
