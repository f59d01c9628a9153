export type EngineKind = 'docker' | 'podman';

/** What `Berth.connect` found; `berth info` prints it. */
export interface EngineInfo {
  kind: EngineKind;
  /** The engine's own version, e.g. `20.10.24` or `4.3.1`. */
  version: string;
  /** The Docker-compatible API version it speaks, e.g. `1.41`. */
  apiVersion: string;
  /** Unix socket path, or `tcp://host:port` for a TCP endpoint. */
  socketPath: string;
  os: string;
  arch: string;
  /** `'1'` or `'2'`, as the engine reports it; `'unknown'` when it does not. */
  cgroupVersion: string;
  /** Which detection strategy produced the endpoint, e.g. `env:DOCKER_HOST`. */
  source: string;
}

/** What the engine's `/info` says of its runtimes and storage (read once, at connect). */
export interface EngineHostInfo {
  /** Runtime name → path of its binary (may be a bare name, found on the engine's PATH). */
  runtimes: Record<string, string>;
  defaultRuntime: string;
  /** Where the engine keeps images and containers, e.g. `/var/lib/docker`. */
  rootDir?: string;
  /** Docker only: the daemon runs with `userns-remap` (its containers' root is an unprivileged host uid). */
  usernsRemap?: boolean;
}

/** A place an engine may answer, produced by one detection strategy. */
export interface EngineCandidate {
  /** The strategy's name, e.g. `option`, `env:DOCKER_HOST`, `well-known:docker`. */
  source: string;
  /** A unix socket path or a `tcp://` / `http://` URL. */
  endpoint: string;
}
