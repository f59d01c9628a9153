import type { VolumeKind, VolumeRecord } from '../volume/volume.js';
import type { Database } from './database.js';

interface VolumeRow {
  name: string;
  engine: string;
  kind: VolumeKind;
  owner_session_id: string | null;
  cache_key: string | null;
  created_at: number;
  last_used_at: number;
  size_bytes: number | null;
  labels: string;
}

export interface VolumeFilter {
  /** `docker` or `podman`. */
  engine?: string;
  kind?: VolumeKind;
  ownerSessionId?: string;
  /** All of these labels must match. */
  labels?: Record<string, string>;
}

function toRecord(r: VolumeRow): VolumeRecord {
  return {
    name: r.name,
    engine: r.engine,
    kind: r.kind,
    ...(r.owner_session_id ? { ownerSessionId: r.owner_session_id } : {}),
    ...(r.cache_key ? { cacheKey: r.cache_key } : {}),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    ...(r.size_bytes !== null ? { sizeBytes: r.size_bytes } : {}),
    labels: JSON.parse(r.labels) as Record<string, string>,
  };
}

/** The volume registry: one row per engine volume this berth instance made or adopted. */
export class VolumeRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the row, or leaves an existing one as it is; returns the stored row. */
  insertIfMissing(v: VolumeRecord): VolumeRecord {
    this.db
      .prepare(
        `INSERT INTO volumes (name, engine, kind, owner_session_id, cache_key, created_at, last_used_at, size_bytes, labels)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
      )
      .run(v.name, v.engine, v.kind, v.ownerSessionId ?? null, v.cacheKey ?? null, v.createdAt, v.lastUsedAt, v.sizeBytes ?? null, JSON.stringify(v.labels));
    return this.get(v.name) as VolumeRecord;
  }

  get(name: string): VolumeRecord | undefined {
    const r = this.db.prepare(`SELECT * FROM volumes WHERE name = ?`).get(name) as VolumeRow | undefined;
    return r && toRecord(r);
  }

  list(filter: VolumeFilter = {}): VolumeRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.engine) {
      where.push('engine = ?');
      args.push(filter.engine);
    }
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    if (filter.ownerSessionId) {
      where.push('owner_session_id = ?');
      args.push(filter.ownerSessionId);
    }
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      where.push(`json_extract(labels, ?) = ?`);
      args.push(`$.${JSON.stringify(k)}`, v);
    }
    const sql = `SELECT * FROM volumes${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, name`;
    return (this.db.prepare(sql).all(...args) as VolumeRow[]).map(toRecord);
  }

  /** Marks volumes used at `now` (ms); never moves the time backwards. */
  touch(names: readonly string[], now: number): void {
    const stmt = this.db.prepare(`UPDATE volumes SET last_used_at = MAX(last_used_at, ?) WHERE name = ?`);
    this.db.transaction(() => {
      for (const n of names) stmt.run(now, n);
    })();
  }

  /** Records measured sizes in bytes (`null`: not measurable). */
  setSizes(sizes: ReadonlyMap<string, number | null>): void {
    const stmt = this.db.prepare(`UPDATE volumes SET size_bytes = ? WHERE name = ?`);
    this.db.transaction(() => {
      for (const [n, s] of sizes) stmt.run(s, n);
    })();
  }

  delete(name: string): boolean {
    return this.db.prepare(`DELETE FROM volumes WHERE name = ?`).run(name).changes > 0;
  }
}
