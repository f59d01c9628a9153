import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { canonicalImageName } from '../engine/quirks.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { toCreateOptions } from '../spec/to-create-options.js';
import { assertValidSpec } from '../spec/validate.js';
import { SpecPolicy } from '../security/spec-policy.js';
import { Container } from './container.js';
import { listedName, plainName } from '../engine/names.js';

export interface CreateContainerOptions {
  /** Labels berth adds on top of the spec's (e.g. `berth.session`). */
  labels?: Record<string, string>;
}

export interface ListContainersOptions {
  /** Include stopped containers; default true. */
  all?: boolean;
  /** Only those with all these labels, on top of this instance's ownership labels. */
  labels?: Record<string, string>;
}

export interface ContainerListItem {
  id: string;
  name: string;
  image: string;
  /** The engine's state word: `running`, `exited`, `created`, ... */
  state: string;
  labels: Record<string, string>;
  /** Unix seconds. */
  created: number;
}

/** Creates and finds the containers of one berth instance. */
export class ContainerManager {
  constructor(
    private readonly engine: Engine,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly policy: SpecPolicy = new SpecPolicy({}, undefined),
  ) {}

  /** Validates the spec (every problem at once, `InvalidArgument`; a denied mount `PolicyDenied`) and creates the container, not started. */
  async create(spec: ContainerSpec, options: CreateContainerOptions = {}): Promise<Container> {
    const valid = assertValidSpec(spec);
    this.policy.assertAllowed(valid);
    const createOptions = toCreateOptions(valid, { instance: this.instance, ...(options.labels ? { labels: options.labels } : {}) });
    const id = await this.engine.createContainer(createOptions);
    this.log.debug({ containerId: id.slice(0, 12), image: valid.image }, 'container created');
    return new Container(this.engine, { id, name: valid.name ?? id.slice(0, 12), tty: valid.tty ?? false }, this.log);
  }

  /** Throws what `create` would for the spec's mounts and runtime, without creating anything. */
  assertAllowed(spec: ContainerSpec): void {
    this.policy.assertAllowed(spec);
  }

  /** A handle on an existing container by id or name; `NotFound` when there is none. */
  async get(idOrName: string): Promise<Container> {
    const info = await this.engine.inspectContainer(idOrName);
    return new Container(this.engine, { id: info.Id, name: plainName(info.Name), tty: info.Config.Tty }, this.log);
  }

  /** A handle on a container known to exist, without asking the engine. */
  handle(ref: { id: string; name: string; tty: boolean }): Container {
    return new Container(this.engine, ref, this.log);
  }

  /** This instance's containers. */
  async list(options: ListContainersOptions = {}): Promise<ContainerListItem[]> {
    const labels = [`${LABELS.managed}=true`, `${LABELS.instance}=${this.instance}`];
    for (const [k, v] of Object.entries(options.labels ?? {})) labels.push(`${k}=${v}`);
    const rows = await this.engine.listContainers(labels, options.all ?? true);
    return rows.map((r) => ({
      id: r.Id,
      name: listedName(r),
      image: canonicalImageName(r.Image),
      state: r.State,
      labels: r.Labels ?? {},
      created: r.Created,
    }));
  }
}
