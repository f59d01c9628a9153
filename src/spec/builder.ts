import type { ContainerSpec, HealthcheckSpec, MountSpec, PortSpec, RestartPolicySpec } from './container-spec.js';
import { withDefaults } from './defaults.js';
import { assertValidSpec } from './validate.js';

/**
 * Fluent builder for a ContainerSpec. Every setter returns the builder; `build()`
 * fills the hardened defaults, validates everything at once and returns plain data.
 */
export class ContainerSpecBuilder {
  private readonly spec: Partial<ContainerSpec> = {};

  /** Starts from an existing spec (copied). */
  static from(spec: Partial<ContainerSpec>): ContainerSpecBuilder {
    const b = new ContainerSpecBuilder();
    Object.assign(b.spec, structuredClone(spec));
    return b;
  }

  private set<K extends keyof ContainerSpec>(key: K, value: ContainerSpec[K]): this {
    this.spec[key] = value;
    return this;
  }

  image(image: string): this { return this.set('image', image); }
  name(name: string): this { return this.set('name', name); }
  cmd(cmd: string[]): this { return this.set('cmd', [...cmd]); }
  entrypoint(entrypoint: string[]): this { return this.set('entrypoint', [...entrypoint]); }
  /** Sets one variable, or merges a record. */
  env(key: string | Record<string, string>, value?: string): this {
    const add = typeof key === 'string' ? { [key]: value ?? '' } : key;
    return this.set('env', { ...this.spec.env, ...add });
  }
  workdir(dir: string): this { return this.set('workdir', dir); }
  user(user: string): this { return this.set('user', user); }
  hostname(hostname: string): this { return this.set('hostname', hostname); }
  /** Sets one label, or merges a record. */
  labels(key: string | Record<string, string>, value?: string): this {
    const add = typeof key === 'string' ? { [key]: value ?? '' } : key;
    return this.set('labels', { ...this.spec.labels, ...add });
  }
  /** Bytes or a size such as `'512m'`. */
  memory(memory: string | number): this { return this.set('memory', memory); }
  /** Memory plus swap; -1 for unlimited swap. */
  memorySwap(memorySwap: string | number): this { return this.set('memorySwap', memorySwap); }
  cpus(cpus: number): this { return this.set('cpus', cpus); }
  pidsLimit(limit: number): this { return this.set('pidsLimit', limit); }
  network(network: string): this { return this.set('network', network); }
  networkAliases(aliases: string[]): this { return this.set('networkAliases', [...aliases]); }
  dns(servers: string[]): this { return this.set('dns', [...servers]); }
  port(port: PortSpec): this { return this.set('ports', [...(this.spec.ports ?? []), port]); }
  mount(mount: MountSpec): this { return this.set('mounts', [...(this.spec.mounts ?? []), mount]); }
  /** A tmpfs at `path` with mount options, e.g. `'size=64m'`. */
  tmpfs(path: string, options = ''): this { return this.set('tmpfs', { ...this.spec.tmpfs, [path]: options }); }
  readOnlyRootfs(on = true): this { return this.set('readOnlyRootfs', on); }
  capAdd(caps: string[]): this { return this.set('capAdd', [...caps]); }
  capDrop(caps: string[]): this { return this.set('capDrop', [...caps]); }
  securityOpt(opts: string[]): this { return this.set('securityOpt', [...opts]); }
  /** Loosens the default: `privileged(true)` gives the container every capability and device. */
  privileged(on = true): this { return this.set('privileged', on); }
  init(on = true): this { return this.set('init', on); }
  tty(on = true): this { return this.set('tty', on); }
  openStdin(on = true): this { return this.set('openStdin', on); }
  restartPolicy(policy: RestartPolicySpec): this { return this.set('restartPolicy', { ...policy }); }
  healthcheck(check: HealthcheckSpec): this { return this.set('healthcheck', { ...check, cmd: [...check.cmd] }); }
  runtime(runtime: string): this { return this.set('runtime', runtime); }

  /** Fills the defaults and validates; throws `InvalidArgument` listing every problem. */
  build(): ContainerSpec {
    return assertValidSpec(withDefaults(structuredClone(this.spec) as ContainerSpec));
  }
}
