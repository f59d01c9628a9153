/** What a volume is for: a session's workspace, a cache shared across sessions, or a session's logs. */
export type VolumeKind = 'workspace' | 'cache' | 'logs';

export const VOLUME_KINDS: readonly VolumeKind[] = ['workspace', 'cache', 'logs'];

/** A row of the volume registry. Times are unix ms. */
export interface VolumeRecord {
  name: string;
  /** `docker` or `podman`. */
  engine: string;
  kind: VolumeKind;
  /** The session that owns it (workspace, logs); absent for shared caches. */
  ownerSessionId?: string;
  /** The caller's cache key (cache volumes made for a session request). */
  cacheKey?: string;
  createdAt: number;
  /** Last mounted by a session, or last seen mounted by gc. */
  lastUsedAt: number;
  /** Bytes, as last measured; absent when the engine could not say. */
  sizeBytes?: number;
  /** The caller's labels (berth's own labels are not repeated here). */
  labels: Record<string, string>;
}

/** A volume as the API returns it. Times are ISO strings. */
export interface Volume {
  name: string;
  engine: string;
  kind: VolumeKind;
  ownerSessionId?: string;
  cacheKey?: string;
  createdAt: string;
  lastUsedAt: string;
  /** Bytes, as last measured (by gc or inspect); absent when not measurable. */
  sizeBytes?: number;
  labels: Record<string, string>;
  /** Mounted by at least one container (running or not): never removed by gc or prune. */
  inUse: boolean;
  /** Names of the containers that mount it. */
  usedBy: string[];
}

export function toVolume(r: VolumeRecord, usedBy: string[]): Volume {
  return {
    name: r.name,
    engine: r.engine,
    kind: r.kind,
    ...(r.ownerSessionId ? { ownerSessionId: r.ownerSessionId } : {}),
    ...(r.cacheKey ? { cacheKey: r.cacheKey } : {}),
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: new Date(r.lastUsedAt).toISOString(),
    ...(r.sizeBytes !== undefined ? { sizeBytes: r.sizeBytes } : {}),
    labels: r.labels,
    inUse: usedBy.length > 0,
    usedBy,
  };
}
