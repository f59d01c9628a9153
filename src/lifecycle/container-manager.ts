import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { canonicalImageName } from '../engine/quirks.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { toCreateOptions } from '../spec/to-create-options.js';
import { assertValidSpec } from '../spec/validate.js';
import { SpecPolicy } from '../security/spec-policy.js';
import { TRUST_LABEL, type Trust } from '../security/trust.js';
import { Container } from './container.js';
import { listedName, plainName } from '../engine/names.js';

/**
 * Label listing the targets of berth's own bind mounts (the session agent), skipped by the
 * re-check before start. Always set by berth (empty when none), so a spec's own label of
 * that name never survives.
 */
export const SYSTEM_MOUNTS_LABEL = LABELS.systemMounts;

export interface CreateContainerOptions {
  /** Labels berth adds on top of the spec's (e.g. `berth.session`). */
  labels?: Record<string, string>;
  /** Who asked (default `operator`): an `untrusted` caller's bind mounts are default-deny. Kept on the container for the checks before each start. */
  trust?: Trust;
  /** berth's own bind mounts (the session agent), outside the caller's mount policy. */
  systemMounts?: Array<{ source: string; target: string; readOnly: boolean }>;
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

  /**
   * Validates the spec (every problem at once, `InvalidArgument`; a denied mount
   * `PolicyDenied`) and creates the container, not started. The engine is given each
   * bind source's real path, the one that was checked.
   */
  async create(spec: ContainerSpec, options: CreateContainerOptions = {}): Promise<Container> {
    const valid = assertValidSpec(spec);
    const trust = options.trust ?? 'operator';
    const resolved = this.policy.resolve(valid, trust);
    const createOptions = toCreateOptions(resolved, {
      instance: this.instance,
      labels: {
        ...options.labels,
        [TRUST_LABEL]: trust,
        [SYSTEM_MOUNTS_LABEL]: (options.systemMounts ?? []).map((m) => m.target).join(','),
      },
      ...(options.systemMounts ? { systemMounts: options.systemMounts } : {}),
    });
    const id = await this.engine.createContainer(createOptions);
    this.log.debug({ containerId: id.slice(0, 12), image: valid.image }, 'container created');
    return this.handle({ id, name: valid.name ?? id.slice(0, 12), tty: valid.tty ?? false });
  }

  /** Throws what `create` would for the spec's mounts and runtime, without creating anything. */
  assertAllowed(spec: ContainerSpec, trust: Trust = 'operator'): void {
    this.policy.assertAllowed(spec, trust);
  }

  /**
   * Checks a container's bind mounts before it starts again: each source must still be the
   * real path it was created with and still be allowed for the trust on its label
   * (`PolicyDenied` otherwise). Every `Container.start`/`restart` of this manager runs it.
   */
  async assertStartable(idOrName: string): Promise<void> {
    const info = await this.engine.inspectContainer(idOrName);
    const trust: Trust = info.Config.Labels?.[TRUST_LABEL] === 'untrusted' ? 'untrusted' : 'operator';
    const own = new Set((info.Config.Labels?.[SYSTEM_MOUNTS_LABEL] ?? '').split(',').filter(Boolean));
    const sources = (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Source && !own.has(m.Destination ?? '')).map((m) => m.Source as string);
    this.policy.mounts.assertStartable(sources, trust);
  }

  /** A handle on an existing container by id or name; `NotFound` when there is none. */
  async get(idOrName: string): Promise<Container> {
    const info = await this.engine.inspectContainer(idOrName);
    return this.handle({ id: info.Id, name: plainName(info.Name), tty: info.Config.Tty });
  }

  /** A handle on a container known to exist, without asking the engine. */
  handle(ref: { id: string; name: string; tty: boolean }): Container {
    return new Container(this.engine, ref, this.log, () => this.assertStartable(ref.id));
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
