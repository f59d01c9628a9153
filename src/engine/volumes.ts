import type Docker from 'dockerode';
import { BerthError } from '../common/errors.js';
import { engineCallTimeout, withTimeout } from './call-timeout.js';
import { engineStatus, translateEngineError } from './errors.js';
import { listedName } from './names.js';

/** An engine volume as berth sees it. */
export interface EngineVolume {
  name: string;
  labels: Record<string, string>;
  driver: string;
  /** Host path of the volume's data (may be empty on Podman's compat API). */
  mountpoint: string;
}

/** A container that mounts a volume. */
export interface VolumeUser {
  id: string;
  name: string;
  /** `running`, `exited`, `created`, ... */
  state: string;
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

interface RawVolume {
  Name: string;
  Labels?: Record<string, string> | null;
  Driver?: string;
  Mountpoint?: string;
  UsageData?: { Size?: number; RefCount?: number } | null;
}

const toVolume = (v: RawVolume): EngineVolume => ({ name: v.Name, labels: v.Labels ?? {}, driver: v.Driver ?? '', mountpoint: v.Mountpoint ?? '' });

/**
 * Volume calls of the engine boundary (reached as `engine.volumes`). Docker and Podman
 * differ little here: both create idempotently by name, list by label, answer 409 when a
 * volume in use is removed, and give sizes through `/system/df`.
 */
export class EngineVolumes {
  constructor(
    private readonly docker: Docker,
    private readonly call: Call,
  ) {}

  /** Creates a local volume with labels; an existing one of that name is returned as it is (its labels unchanged). dockerode answers a handle, so the volume is inspected after. */
  async create(name: string, labels: Record<string, string>): Promise<EngineVolume> {
    await this.call(`create volume ${name}`, () => this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels }));
    return this.inspect(name);
  }

  /** `NotFound` when there is no such volume. */
  async inspect(name: string): Promise<EngineVolume> {
    const r = await this.call(`inspect volume ${name}`, () => this.docker.getVolume(name).inspect());
    return toVolume(r as unknown as RawVolume);
  }

  /** Volumes carrying all the given labels (`key=value` or `key`). */
  async list(labels: string[]): Promise<EngineVolume[]> {
    const r = await this.call('list volumes', () => this.docker.listVolumes({ filters: JSON.stringify({ label: labels }) }));
    return ((r as unknown as { Volumes?: RawVolume[] | null }).Volumes ?? []).map(toVolume);
  }

  /**
   * Removes a volume; `removed: false` when it did not exist. A volume some container
   * mounts (running or not) is `Conflict`, naming the containers.
   */
  async remove(name: string): Promise<{ removed: boolean }> {
    try {
      await withTimeout(`remove volume ${name}`, engineCallTimeout('remove'), () => this.docker.getVolume(name).remove({}));
      return { removed: true };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      const status = engineStatus(err);
      if (status === 404) return { removed: false };
      if (status === 409) {
        const users = await this.users(name).catch(() => []);
        const who = users.length ? users.map((u) => `${u.name} (${u.state})`).join(', ') : 'a container';
        throw new BerthError('Conflict', `volume ${name} is in use by ${who}; remove the container (or end its session) first`, {
          details: { volume: name, usedBy: users.map((u) => u.name) },
          cause: err,
        });
      }
      throw translateEngineError(err, `remove volume ${name}`);
    }
  }

  /** The containers (running or not) that mount the volume. */
  async users(name: string): Promise<VolumeUser[]> {
    const rows = await this.call(`list users of volume ${name}`, () => this.docker.listContainers({ all: true, filters: JSON.stringify({ volume: [name] }) }));
    return rows.map((r) => ({ id: r.Id, name: listedName(r), state: r.State }));
  }

  /** Every mounted volume's name → the names of the containers (running or not) that mount it. One engine call. */
  async mountedBy(): Promise<Map<string, string[]>> {
    const rows = await this.call('list containers for volume use', () => this.docker.listContainers({ all: true }));
    const out = new Map<string, string[]>();
    for (const r of rows) {
      for (const m of r.Mounts ?? []) {
        if (m.Type !== 'volume' || !m.Name) continue;
        const list = out.get(m.Name) ?? [];
        list.push(listedName(r) || r.Id);
        out.set(m.Name, list);
      }
    }
    return out;
  }

  /**
   * Sizes in bytes by volume name, from the engine's disk-usage report (both engines fill
   * `UsageData.Size`; a negative size, which Docker uses for "not computed", is left out).
   */
  async sizes(): Promise<Map<string, number>> {
    const r = await this.call('disk usage', () => this.docker.df());
    const out = new Map<string, number>();
    for (const v of ((r as { Volumes?: RawVolume[] | null }).Volumes ?? [])) {
      const size = v.UsageData?.Size;
      if (typeof size === 'number' && size >= 0) out.set(v.Name, size);
    }
    return out;
  }
}
