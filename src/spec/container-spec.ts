/** A port published from the container. Binds to 127.0.0.1 unless `hostIp` says otherwise. */
export interface PortSpec {
  containerPort: number;
  /** 0 or absent: the engine picks one. */
  hostPort?: number;
  /** Default `127.0.0.1`. */
  hostIp?: string;
  /** Default `tcp`. */
  protocol?: 'tcp' | 'udp';
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name (volume); absent for tmpfs. */
  source?: string;
  /** Absolute path in the container. */
  target: string;
  /** Default true for bind mounts, false otherwise. */
  readOnly?: boolean;
}

export interface HealthcheckSpec {
  cmd: string[];
  /** Default 30000 ms. */
  intervalMs?: number;
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Default 3. */
  retries?: number;
  /** Default 0 ms. */
  startPeriodMs?: number;
}

export interface RestartPolicySpec {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** Only with `on-failure`. */
  maxRetries?: number;
}

export interface LogSpec {
  /** Size of one log file, e.g. `10m`. */
  maxSize: string;
  /** Number of files kept. */
  maxFiles: number;
}

/**
 * A container spec: plain, serialisable data. Build one with `ContainerSpec.builder()`,
 * check one with `validateSpec`, turn one into engine options with `toCreateOptions`.
 * Fields the builder fills from `SECURE_DEFAULTS` are marked (default …).
 */
export interface ContainerSpec {
  image: string;
  /** Engine-side container name; default: the engine's random name. */
  name?: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  /** Absolute path. */
  workdir?: string;
  /** `uid`, `uid:gid` or a user name known to the image. */
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  /** Bytes or a size such as `512m` (default 512m). */
  memory?: string | number;
  /** Memory plus swap, bytes or size; default equal to memory (no swap); -1 unlimited. */
  memorySwap?: string | number;
  /** CPU cores, fractional allowed (default 1). */
  cpus?: number;
  /** Max processes (default 512). */
  pidsLimit?: number;
  /** `none` (default), `bridge`, `host`, or a network name. */
  network?: string;
  /** Names the container answers to on `network` (a user-defined network only). */
  networkAliases?: string[];
  /** Extra DNS servers (IP addresses) for the container's resolv.conf. */
  dns?: string[];
  ports?: PortSpec[];
  mounts?: MountSpec[];
  /** Path → mount options, e.g. `{ '/tmp': 'size=64m' }`. */
  tmpfs?: Record<string, string>;
  /** Default false. */
  readOnlyRootfs?: boolean;
  /** Default: the small list in `SECURE_DEFAULTS.capAdd`. */
  capAdd?: string[];
  /** Default `['ALL']`. */
  capDrop?: string[];
  /** Default `['no-new-privileges']`. */
  securityOpt?: string[];
  /** Default false. */
  privileged?: boolean;
  /** Run an init as PID 1 that reaps zombies (default true). */
  init?: boolean;
  tty?: boolean;
  openStdin?: boolean;
  /** Default `{ name: 'no' }`. */
  restartPolicy?: RestartPolicySpec;
  healthcheck?: HealthcheckSpec;
  /**
   * `auto`: a user namespace of the container's own, so its root is not the host's root
   * (Podman: `userns=auto`, which needs a `containers` range in /etc/subuid and /etc/subgid;
   * Docker has no per-container user namespace and runs it as its daemon is configured,
   * see `userns-remap`). Default: the engine's default. The strict profile sets it.
   */
  userns?: 'auto';
  /** OCI runtime registered with the engine, e.g. `runsc`. */
  runtime?: string;
  /** Default `{ maxSize: '10m', maxFiles: 3 }`. */
  log?: LogSpec;
}
