import { parse } from '../api/parse.js';
import { BerthError, invalidArgument } from '../common/errors.js';
import { LABELS, ownershipLabels } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import type { EngineVolume } from '../engine/volumes.js';
import { parseSize } from '../spec/size.js';
import type { MountSpec } from '../spec/container-spec.js';
import type { VolumeRepository } from '../store/volume-repository.js';
import { DEFAULT_CLEANUP_POLICY, planGc, type CleanupPolicy } from './cleanup-policy.js';
import { cacheVolumeName, DEFAULT_LOGS_TARGET, logsVolumeName, workspaceVolumeName, type SessionVolumesRequest } from './session-volumes.js';
import { toVolume, VOLUME_KINDS, type Volume, type VolumeKind, type VolumeRecord } from './volume.js';
import {
  createVolumeSchema,
  gcOptionsSchema,
  listVolumesSchema,
  type CreateVolumeRequest,
  type GcEntry,
  type GcOptions,
  type GcResult,
  type ListVolumesRequest,
  type PruneVolumesResult,
  type RemoveVolumeResult,
  type VolumesApi,
} from './volumes-api.js';

export interface VolumeManagerDeps {
  engine: Engine;
  repo: VolumeRepository;
  /** Owner label of what this manager creates (`berth.instance`). */
  instance: string;
  /** Cleanup rules; missing fields take `DEFAULT_CLEANUP_POLICY`'s. */
  policy?: Partial<CleanupPolicy>;
  /** Whether a session still lives (not ended, failed or lost). */
  sessionLive: (sessionId: string) => boolean;
  log: Logger;
  /** unix ms; default Date.now. */
  now?: () => number;
}

/** What a session's container gets from its volumes request. */
export interface SessionMounts {
  mounts: MountSpec[];
  /** Path → tmpfs options (a tmpfs workspace). */
  tmpfs: Record<string, string>;
}

interface Ensure {
  name: string;
  kind: VolumeKind;
  labels: Record<string, string>;
  ownerSessionId?: string;
  cacheKey?: string;
}

/** Berth's own labels on volumes; the rest are the caller's. */
const OWN_LABELS = new Set<string>([LABELS.managed, LABELS.instance, LABELS.session, LABELS.volumeKind]);

/** Volumes of one berth instance on one engine, their registry, session mounts and gc. */
export class VolumeManager implements VolumesApi {
  readonly policy: CleanupPolicy;
  private readonly d: VolumeManagerDeps;
  private readonly now: () => number;

  constructor(deps: VolumeManagerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.policy = { ...DEFAULT_CLEANUP_POLICY, ...deps.policy };
  }

  private get engineKind(): string {
    return this.d.engine.info.kind;
  }

  private ownLabels(): string[] {
    return [`${LABELS.managed}=true`, `${LABELS.instance}=${this.d.instance}`];
  }

  private isOurs(v: EngineVolume): boolean {
    return v.labels[LABELS.managed] === 'true' && v.labels[LABELS.instance] === this.d.instance;
  }

  async create(request: CreateVolumeRequest): Promise<Volume> {
    const r = parse(createVolumeSchema, request, 'volume request');
    const row = await this.ensure({ name: r.name, kind: r.kind ?? 'cache', labels: r.labels ?? {} });
    return toVolume(row, await this.d.engine.volumes.users(row.name).then((u) => u.map((x) => x.name)));
  }

  async list(request: ListVolumesRequest = {}): Promise<Volume[]> {
    const r = parse(listVolumesSchema, request, 'volume list request');
    await this.reconcile();
    const mounted = await this.d.engine.volumes.mountedBy();
    const rows = this.d.repo.list({ engine: this.engineKind, ...(r.kind ? { kind: r.kind } : {}), ...(r.session ? { ownerSessionId: r.session } : {}), ...(r.labels ? { labels: r.labels } : {}) });
    return rows.map((row) => toVolume(row, mounted.get(row.name) ?? []));
  }

  async inspect(name: string): Promise<Volume> {
    const row = await this.find(name);
    const size = (await this.measure()).get(name);
    if (size !== undefined) this.d.repo.setSizes(new Map([[name, size]]));
    const users = await this.d.engine.volumes.users(name);
    return toVolume({ ...row, ...(size !== undefined ? { sizeBytes: size } : {}) }, users.map((u) => u.name));
  }

  async remove(name: string): Promise<RemoveVolumeResult> {
    this.assertName(name);
    let v: EngineVolume;
    try {
      v = await this.d.engine.volumes.inspect(name);
    } catch (err) {
      if (!BerthError.is(err, 'NotFound')) throw err;
      this.d.repo.delete(name);
      return { name, removed: false };
    }
    if (!this.isOurs(v)) throw notFound(name);
    const { removed } = await this.d.engine.volumes.remove(name);
    const row = this.d.repo.get(name);
    this.d.repo.delete(name);
    if (removed) this.d.log.info({ volume: name, kind: row?.kind }, 'volume removed');
    return { name, removed };
  }

  async prune(): Promise<PruneVolumesResult> {
    await this.reconcile();
    const [mounted, sizes] = await Promise.all([this.d.engine.volumes.mountedBy(), this.measure()]);
    const removed: string[] = [];
    let reclaimedBytes = 0;
    for (const row of this.d.repo.list({ engine: this.engineKind })) {
      if (mounted.has(row.name)) continue;
      if (await this.removeQuietly(row.name)) {
        removed.push(row.name);
        reclaimedBytes += sizes.get(row.name) ?? row.sizeBytes ?? 0;
      }
    }
    if (removed.length) this.d.log.info({ volumes: removed, reclaimedBytes }, 'volumes pruned');
    return { removed, reclaimedBytes };
  }

  /**
   * Reconciles the registry with the engine, measures sizes, marks volumes in use as used
   * now, plans (see `planGc`) and, unless `dryRun`, removes what the plan chose.
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    const { dryRun = false } = parse(gcOptionsSchema, options, 'gc options');
    const now = this.now();
    await this.reconcile();
    const [mounted, sizes] = await Promise.all([this.d.engine.volumes.mountedBy(), this.measure()]);
    const mine = this.d.repo.list({ engine: this.engineKind });
    this.d.repo.setSizes(new Map(mine.map((v) => [v.name, sizes.get(v.name) ?? null])));
    this.d.repo.touch(mine.filter((v) => mounted.has(v.name)).map((v) => v.name), now);
    const volumes = this.d.repo.list({ engine: this.engineKind });
    const plan = planGc({ volumes, inUse: new Set(mounted.keys()), sessionLive: this.d.sessionLive, policy: this.policy, now });
    const entries: GcEntry[] = [];
    for (const c of plan) {
      const entry: GcEntry = { ...c, lastUsedAt: new Date(c.lastUsedAt).toISOString(), removed: false };
      if (!dryRun) {
        try {
          await this.d.engine.volumes.remove(c.name);
          this.d.repo.delete(c.name);
          entry.removed = true;
        } catch (err) {
          entry.error = BerthError.from(err).message;
        }
      }
      entries.push(entry);
    }
    const removedNames = new Set(entries.filter((e) => e.removed || dryRun).map((e) => e.name));
    const kept = volumes.filter((v) => !removedNames.has(v.name));
    const removed = entries.filter((e) => e.removed);
    const failed = entries.filter((e) => e.error);
    if (removed.length) this.d.log.info({ removed: removed.map((e) => ({ volume: e.name, reason: e.reason, sizeBytes: e.sizeBytes })) }, `volume gc removed ${removed.length} volume(s)`);
    if (failed.length) this.d.log.warn({ failed: failed.map((e) => ({ volume: e.name, error: e.error })) }, 'volume gc could not remove some volumes');
    return {
      dryRun,
      at: new Date(now).toISOString(),
      policy: this.policy,
      entries,
      keptCount: kept.length,
      keptBytes: kept.reduce((s, v) => s + (v.sizeBytes ?? 0), 0),
    };
  }

  /**
   * Makes (or reuses) the volumes a session asked for and returns its mounts: workspace on
   * `baseDir`, caches shared by key (marked used now), logs. Volumes made here are removed
   * again when a later one fails.
   */
  async prepareSession(sessionId: string, request: SessionVolumesRequest, o: { baseDir: string; labels: Record<string, string> }): Promise<SessionMounts> {
    const targets = [...(request.caches ?? []).map((c) => c.target), ...(request.logs ? [typeof request.logs === 'object' && request.logs.target ? request.logs.target : DEFAULT_LOGS_TARGET] : [])];
    if (request.workspace && targets.includes(o.baseDir)) {
      throw invalidArgument([{ path: 'volumes', message: `the workspace mounts at the base dir ${o.baseDir}; mount caches and logs elsewhere` }], 'session request');
    }
    const out: SessionMounts = { mounts: [], tmpfs: {} };
    const made: string[] = [];
    try {
      if (request.workspace?.type === 'tmpfs') out.tmpfs[o.baseDir] = `size=${parseSize(request.workspace.size) ?? 0},exec`;
      if (request.workspace?.type === 'volume') {
        const v = await this.ensure({ name: workspaceVolumeName(sessionId), kind: 'workspace', ownerSessionId: sessionId, labels: o.labels });
        made.push(v.name);
        out.mounts.push({ type: 'volume', source: v.name, target: o.baseDir, readOnly: false });
      }
      for (const c of request.caches ?? []) {
        const v = await this.ensure({ name: cacheVolumeName(this.d.instance, c.key), kind: 'cache', cacheKey: c.key, labels: o.labels });
        this.d.repo.touch([v.name], this.now());
        out.mounts.push({ type: 'volume', source: v.name, target: c.target, readOnly: false });
      }
      if (request.logs) {
        const v = await this.ensure({ name: logsVolumeName(sessionId), kind: 'logs', ownerSessionId: sessionId, labels: o.labels });
        made.push(v.name);
        out.mounts.push({ type: 'volume', source: v.name, target: typeof request.logs === 'object' && request.logs.target ? request.logs.target : DEFAULT_LOGS_TARGET, readOnly: false });
      }
      return out;
    } catch (err) {
      for (const name of made) await this.removeQuietly(name);
      throw err;
    }
  }

  /**
   * A session ended (its container is gone): with `onSessionEnd` (or `force`, for a
   * session whose creation failed) its workspace and logs volumes are removed. A volume
   * still in use stays, for gc to take later.
   */
  async sessionEnded(sessionId: string, o: { force?: boolean } = {}): Promise<string[]> {
    const owned = this.d.repo.list({ engine: this.engineKind, ownerSessionId: sessionId }).filter((v) => v.kind !== 'cache');
    if (!this.policy.onSessionEnd && !o.force) {
      this.d.repo.touch(owned.map((v) => v.name), this.now());
      return [];
    }
    const removed: string[] = [];
    for (const v of owned) if (await this.removeQuietly(v.name)) removed.push(v.name);
    if (removed.length) this.d.log.info({ sessionId, volumes: removed }, 'session volumes removed');
    return removed;
  }

  /**
   * Registry ↔ engine: rows whose volume vanished are dropped; this instance's labelled
   * volumes missing from the registry are adopted (kind and owner from their labels).
   */
  async reconcile(): Promise<{ dropped: string[]; adopted: string[] }> {
    const onEngine = await this.d.engine.volumes.list(this.ownLabels());
    const names = new Set(onEngine.map((v) => v.name));
    const dropped: string[] = [];
    for (const row of this.d.repo.list({ engine: this.engineKind })) {
      if (!names.has(row.name) && this.d.repo.delete(row.name)) dropped.push(row.name);
    }
    const adopted: string[] = [];
    for (const v of onEngine) {
      if (this.d.repo.get(v.name)) continue;
      this.d.repo.insertIfMissing(this.recordFor(v));
      adopted.push(v.name);
    }
    if (dropped.length || adopted.length) this.d.log.info({ dropped, adopted }, 'volume registry reconciled');
    return { dropped, adopted };
  }

  private recordFor(v: EngineVolume, e?: Ensure): VolumeRecord {
    const label = v.labels[LABELS.volumeKind] as VolumeKind | undefined;
    const owner = e?.ownerSessionId ?? v.labels[LABELS.session];
    const now = this.now();
    return {
      name: v.name,
      engine: this.engineKind,
      kind: e?.kind ?? (label && VOLUME_KINDS.includes(label) ? label : 'cache'),
      ...(owner ? { ownerSessionId: owner } : {}),
      ...(e?.cacheKey ? { cacheKey: e.cacheKey } : {}),
      createdAt: now,
      lastUsedAt: now,
      labels: Object.fromEntries(Object.entries(v.labels).filter(([k]) => !OWN_LABELS.has(k))),
    };
  }

  /** Creates the engine volume (idempotent) and its registry row; `Conflict` for another kind or a volume berth does not own. */
  private async ensure(e: Ensure): Promise<VolumeRecord> {
    const existing = this.d.repo.get(e.name);
    if (existing && existing.kind !== e.kind) {
      throw new BerthError('Conflict', `volume ${e.name} exists as a ${existing.kind} volume; choose another name`, { details: { volume: e.name, kind: existing.kind } });
    }
    const labels = {
      ...e.labels,
      ...ownershipLabels(this.d.instance),
      [LABELS.volumeKind]: e.kind,
      ...(e.ownerSessionId ? { [LABELS.session]: e.ownerSessionId } : {}),
    };
    const v = await this.d.engine.volumes.create(e.name, labels);
    if (!this.isOurs(v)) {
      throw new BerthError('Conflict', `a volume named ${e.name} exists on ${this.engineKind} and is not managed by this berth instance; choose another name`, { details: { volume: e.name } });
    }
    if (!existing && v.labels[LABELS.volumeKind] && v.labels[LABELS.volumeKind] !== e.kind) {
      throw new BerthError('Conflict', `volume ${e.name} exists as a ${v.labels[LABELS.volumeKind]} volume; choose another name`, { details: { volume: e.name } });
    }
    return this.d.repo.insertIfMissing(this.recordFor(v, e));
  }

  /** The registry row of one of this instance's volumes, checked against the engine. */
  private async find(name: string): Promise<VolumeRecord> {
    this.assertName(name);
    let v: EngineVolume;
    try {
      v = await this.d.engine.volumes.inspect(name);
    } catch (err) {
      if (BerthError.is(err, 'NotFound')) this.d.repo.delete(name);
      throw BerthError.is(err, 'NotFound') ? notFound(name, err) : err;
    }
    if (!this.isOurs(v)) throw notFound(name);
    return this.d.repo.get(name) ?? this.d.repo.insertIfMissing(this.recordFor(v));
  }

  private assertName(name: string): void {
    if (typeof name !== 'string' || !name) throw invalidArgument([{ path: 'name', message: 'a volume name is required' }], 'volume request');
  }

  /** Sizes by name; empty when the engine cannot say. */
  private async measure(): Promise<Map<string, number>> {
    return this.d.engine.volumes.sizes().catch((err: unknown) => {
      this.d.log.debug({ err }, 'volume sizes not measurable');
      return new Map<string, number>();
    });
  }

  /** Removes a volume and its row; false when it is in use (or the engine refused). */
  private async removeQuietly(name: string): Promise<boolean> {
    try {
      await this.d.engine.volumes.remove(name);
      this.d.repo.delete(name);
      return true;
    } catch (err) {
      this.d.log.warn({ err: BerthError.from(err).message, volume: name }, 'volume kept');
      return false;
    }
  }
}

function notFound(name: string, cause?: unknown): BerthError {
  return new BerthError('NotFound', `no volume "${name}" managed by this berth instance; list them with \`berth volume ls\``, {
    details: { volume: name },
    ...(cause ? { cause } : {}),
  });
}
