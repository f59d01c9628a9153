import type { HealthPolicy } from '../health/health-policy.js';
import type { AlertRules } from '../monitor/alert-rules.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import type { ExecDefaults, ExecRecord, Session, SessionEvent, SessionState } from '../session/session.js';
import type { EngineBinding } from '../session/engine-binding.js';
import type { Database } from './database.js';
import { SecretBox } from './secret-box.js';

interface SessionRow {
  id: string;
  name: string;
  state: SessionState;
  template: string | null;
  spec: string;
  labels: string;
  engine: string;
  engine_endpoint: string | null;
  ttl_ms: number | null;
  idle_timeout_ms: number | null;
  created_at: number;
  last_active_at: number;
  ended_at: number | null;
  end_reason: string | null;
  container_name: string;
  container_id: string | null;
  base_dir: string;
  confine: number;
  exec_defaults: string;
  forked_from: string | null;
  snapshot_image: string | null;
  alert_rules: string;
  health_policy: string;
  secret_names: string;
  env_from_host: string;
}

/** A session's secret environment values (kept sealed): of its spec, and of its exec defaults. */
export interface SessionSecrets {
  spec: Record<string, string>;
  defaults: Record<string, string>;
}

/** Names taken from the host's environment (`envFromHost`), by pattern. */
export interface EnvFromHost {
  patterns: string[];
  /** The names taken (never their values). */
  taken: string[];
}

export interface NewSession {
  id: string;
  name: string;
  template?: string;
  spec: ContainerSpec;
  labels: Record<string, string>;
  engine: string;
  /** The engine's endpoint (see `engineEndpoint`); absent on the local backend. */
  engineEndpoint?: string;
  containerName: string;
  ttlMs?: number;
  idleTimeoutMs?: number;
  baseDir: string;
  confine: boolean;
  execDefaults?: ExecDefaults;
  alertRules?: Partial<AlertRules>;
  healthPolicy?: HealthPolicy;
  forkedFrom?: string;
  snapshotImage?: string;
  /** Secret values (the spec and exec defaults hold `***` for them): sealed, never stored in clear. */
  secrets?: SessionSecrets;
  envFromHost?: EnvFromHost;
  /** unix ms */
  now: number;
}

export interface SessionFilter {
  states?: SessionState[];
  name?: string;
  /** All of these labels must match. */
  labels?: Record<string, string>;
  /** Default 1000. */
  limit?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function toSession(r: SessionRow): Session {
  const fromHost = JSON.parse(r.env_from_host) as Partial<EnvFromHost>;
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    ...(r.template ? { template: r.template } : {}),
    spec: JSON.parse(r.spec) as ContainerSpec,
    labels: JSON.parse(r.labels) as Record<string, string>,
    engine: r.engine,
    ...(r.engine_endpoint ? { engineEndpoint: r.engine_endpoint } : {}),
    backend: r.engine === 'local' ? 'local' : 'engine',
    containerName: r.container_name,
    ...(r.container_id ? { containerId: r.container_id } : {}),
    ...(r.ttl_ms !== null ? { ttlMs: r.ttl_ms } : {}),
    ...(r.idle_timeout_ms !== null ? { idleTimeoutMs: r.idle_timeout_ms } : {}),
    baseDir: r.base_dir,
    confine: r.confine === 1,
    execDefaults: JSON.parse(r.exec_defaults) as ExecDefaults,
    alertRules: JSON.parse(r.alert_rules) as Partial<AlertRules>,
    healthPolicy: JSON.parse(r.health_policy) as HealthPolicy,
    ...(r.forked_from ? { forkedFrom: r.forked_from } : {}),
    ...(r.snapshot_image ? { snapshotImage: r.snapshot_image } : {}),
    secretEnv: JSON.parse(r.secret_names) as string[],
    ...(fromHost.patterns ? { envFromHost: { patterns: fromHost.patterns, taken: fromHost.taken ?? [] } } : {}),
    createdAt: iso(r.created_at),
    lastActiveAt: iso(r.last_active_at),
    ...(r.ended_at !== null ? { endedAt: iso(r.ended_at) } : {}),
    ...(r.end_reason ? { endReason: r.end_reason } : {}),
  };
}

const TERMINAL_SQL = `'ended', 'failed', 'lost'`;
const SELECT = `SELECT s.*, b.container_name, b.container_id FROM sessions s JOIN container_bindings b ON b.session_id = s.id`;

/** Sessions, bindings, events and exec history in SQLite. Every write is one `BEGIN IMMEDIATE` transaction. */
export class SessionRepository {
  /** `box` seals secret values; default a key in memory (for an in-memory database). */
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox = SecretBox.forDatabase(':memory:'),
  ) {}

  private sealSecrets(x: SessionSecrets): { names: string; sealed: string } {
    const names = [...new Set([...Object.keys(x.spec), ...Object.keys(x.defaults)])].sort();
    return { names: JSON.stringify(names), sealed: names.length ? this.box.seal(x) : '' };
  }

  /** The secret values of a session (empty when it has none). */
  secrets(id: string): SessionSecrets {
    const r = this.db.prepare(`SELECT secret_env FROM sessions WHERE id = ?`).get(id) as { secret_env: string } | undefined;
    const x = r ? this.box.open<SessionSecrets>(r.secret_env) : undefined;
    return { spec: x?.spec ?? {}, defaults: x?.defaults ?? {} };
  }

  /** Inserts the session (state `creating`), its binding and its first event, committed before returning. */
  insert(s: NewSession): Session {
    const secrets = this.sealSecrets(s.secrets ?? { spec: {}, defaults: {} });
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `INSERT INTO sessions (id, unique_slot, name, state, template, spec, labels, engine, engine_endpoint, ttl_ms, idle_timeout_ms, created_at, last_active_at,
                                   base_dir, confine, exec_defaults, forked_from, snapshot_image, alert_rules, health_policy,
                                   secret_names, secret_env, env_from_host)
             VALUES (?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            s.id, s.id, s.name, s.template ?? null, JSON.stringify(s.spec), JSON.stringify(s.labels), s.engine, s.engineEndpoint ?? null, s.ttlMs ?? null, s.idleTimeoutMs ?? null, s.now, s.now,
            s.baseDir, s.confine ? 1 : 0, JSON.stringify(s.execDefaults ?? {}), s.forkedFrom ?? null, s.snapshotImage ?? null, JSON.stringify(s.alertRules ?? {}), JSON.stringify(s.healthPolicy ?? {}),
            secrets.names, secrets.sealed, JSON.stringify(s.envFromHost ?? {}),
          );
        this.db.prepare(`INSERT INTO container_bindings (session_id, container_name, bound_at) VALUES (?, ?, ?)`).run(s.id, s.containerName, s.now);
        this.db.prepare(`INSERT INTO session_events (session_id, at, to_state, reason) VALUES (?, ?, 'creating', 'created')`).run(s.id, s.now);
      })
      .immediate();
    return this.get(s.id) as Session;
  }

  get(id: string): Session | undefined {
    const r = this.db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as SessionRow | undefined;
    return r && toSession(r);
  }

  /** By id, or else by name: the live session of that name, or else the newest ended one. */
  find(idOrName: string): Session | undefined {
    const r = this.db
      .prepare(`${SELECT} WHERE s.id = ? OR s.name = ? ORDER BY s.id = ? DESC, s.state IN (${TERMINAL_SQL}) ASC, s.created_at DESC, s.rowid DESC LIMIT 1`)
      .get(idOrName, idOrName, idOrName) as SessionRow | undefined;
    return r && toSession(r);
  }

  /**
   * Running engine sessions, just what the sampler needs (no spec parsing: it runs every
   * tick over every session). With `withHealthcheck`, only those whose spec has one; with
   * `on`, only those bound to that engine (kind, and endpoint where recorded).
   */
  runningOnEngine(withHealthcheck = false, on?: EngineBinding): Array<{ id: string; containerRef: string; alertRules: Partial<AlertRules> }> {
    const stmt = this.db.prepare(
      `SELECT s.id, COALESCE(b.container_id, b.container_name) AS ref, s.alert_rules FROM sessions s JOIN container_bindings b ON b.session_id = s.id
       WHERE s.state = 'running' AND s.engine != 'local' ${withHealthcheck ? `AND json_extract(s.spec, '$.healthcheck') IS NOT NULL` : ''}
       ${on ? `AND s.engine = ? AND (s.engine_endpoint IS NULL OR s.engine_endpoint = ?)` : ''}`,
    );
    const rows = (on ? stmt.all(on.kind, on.endpoint) : stmt.all()) as Array<{ id: string; ref: string; alert_rules: string }>;
    return rows.map((r) => ({ id: r.id, containerRef: r.ref, alertRules: r.alert_rules === '{}' ? {} : (JSON.parse(r.alert_rules) as Partial<AlertRules>) }));
  }

  /** True when a session that has not ended has this name (ended ones release theirs). */
  nameTaken(name: string): boolean {
    return this.db.prepare(`SELECT 1 FROM sessions WHERE name = ? AND state NOT IN (${TERMINAL_SQL})`).get(name) !== undefined;
  }

  list(filter: SessionFilter = {}): Session[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      where.push(`s.state IN (${filter.states.map(() => '?').join(',')})`);
      args.push(...filter.states);
    }
    if (filter.name) {
      where.push('s.name = ?');
      args.push(filter.name);
    }
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      where.push(`json_extract(s.labels, ?) = ?`);
      args.push(`$."${k.replace(/"/g, '')}"`, v);
    }
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY s.created_at, s.id LIMIT ?`;
    args.push(filter.limit ?? 1000);
    return (this.db.prepare(sql).all(...args) as SessionRow[]).map(toSession);
  }

  /**
   * Deletes the records of ended, failed and lost sessions that ended at or before
   * `endedBefore` (unix ms; default now), with their events and history. Returns their ids.
   */
  prune(endedBefore: number): string[] {
    return this.db
      .transaction(() => {
        const rows = this.db.prepare(`SELECT id FROM sessions WHERE state IN (${TERMINAL_SQL}) AND COALESCE(ended_at, created_at) <= ?`).all(endedBefore) as Array<{ id: string }>;
        const del = this.db.prepare(`DELETE FROM sessions WHERE id = ?`);
        for (const r of rows) del.run(r.id);
        return rows.map((r) => r.id);
      })
      .immediate();
  }

  /**
   * Moves a session to `to` and records why, in one transaction. With `from`, only
   * when the session is in one of those states; returns false when it was not.
   */
  transition(id: string, to: SessionState, reason: string, now: number, from?: readonly SessionState[]): boolean {
    return this.move(id, to, reason, now, from) !== undefined;
  }

  /** `transition`, telling the state the session was in (read in the same transaction); undefined when refused. */
  move(id: string, to: SessionState, reason: string, now: number, from?: readonly SessionState[]): { from: SessionState } | undefined {
    return this.db
      .transaction(() => {
        const cur = this.db.prepare(`SELECT state FROM sessions WHERE id = ?`).get(id) as { state: SessionState } | undefined;
        if (!cur || (from && !from.includes(cur.state))) return undefined;
        if (cur.state === to) return { from: cur.state };
        const ended = to === 'ended' || to === 'failed' || to === 'lost';
        this.db
          .prepare(`UPDATE sessions SET state = ?, ended_at = CASE WHEN ? THEN ? ELSE ended_at END, end_reason = CASE WHEN ? THEN ? ELSE end_reason END WHERE id = ?`)
          .run(to, ended ? 1 : 0, now, ended ? 1 : 0, reason, id);
        this.db.prepare(`INSERT INTO session_events (session_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)`).run(id, now, cur.state, to, reason);
        return { from: cur.state };
      })
      .immediate();
  }

  /** Records the endpoint of a session made before endpoints were kept, once an engine adopts it. */
  bindEndpoint(id: string, endpoint: string): void {
    this.db.prepare(`UPDATE sessions SET engine_endpoint = ? WHERE id = ? AND engine_endpoint IS NULL`).run(endpoint, id);
  }

  bindContainer(id: string, containerId: string): void {
    this.db.prepare(`UPDATE container_bindings SET container_id = ? WHERE session_id = ?`).run(containerId, id);
  }

  /** Sets the exec defaults (their secret values, `***` in `defaults`, go sealed in `secretDefaults`). */
  setExecDefaults(id: string, defaults: ExecDefaults, secretDefaults: Record<string, string> = {}): void {
    this.db
      .transaction(() => {
        const secrets = this.sealSecrets({ spec: this.secrets(id).spec, defaults: secretDefaults });
        this.db
          .prepare(`UPDATE sessions SET exec_defaults = ?, secret_names = ?, secret_env = ? WHERE id = ?`)
          .run(JSON.stringify(defaults), secrets.names, secrets.sealed, id);
      })
      .immediate();
  }

  /** Live (not ended/failed/lost) sessions running `image`, other than `exceptId`. */
  imageUsers(image: string, exceptId: string): number {
    const r = this.db
      .prepare(`SELECT COUNT(*) AS n FROM sessions WHERE snapshot_image = ? AND id != ? AND state NOT IN ('ended', 'failed', 'lost')`)
      .get(image, exceptId) as { n: number };
    return r.n;
  }

  touch(id: string, now: number): void {
    this.db.prepare(`UPDATE sessions SET last_active_at = ? WHERE id = ?`).run(now, id);
  }

  recordExec(id: string, rec: { cmd: string[]; exitCode: number; durationMs: number; bytesOut: number; timedOut: boolean }, now: number): void {
    this.db
      .transaction(() => {
        this.db
          .prepare(`INSERT INTO exec_history (session_id, at, cmd, exit_code, duration_ms, bytes_out, timed_out) VALUES (?, ?, ?, ?, ?, ?, ?)`)
          .run(id, now, JSON.stringify(rec.cmd), rec.exitCode, rec.durationMs, rec.bytesOut, rec.timedOut ? 1 : 0);
        this.db.prepare(`UPDATE sessions SET last_active_at = ? WHERE id = ?`).run(now, id);
      })
      .immediate();
  }

  events(id: string): SessionEvent[] {
    const rows = this.db.prepare(`SELECT at, from_state, to_state, reason FROM session_events WHERE session_id = ? ORDER BY id`).all(id) as Array<{
      at: number;
      from_state: SessionState | null;
      to_state: SessionState;
      reason: string;
    }>;
    return rows.map((r) => ({ at: iso(r.at), ...(r.from_state ? { from: r.from_state } : {}), to: r.to_state, reason: r.reason }));
  }

  execHistory(id: string, limit = 100): ExecRecord[] {
    const rows = this.db
      .prepare(`SELECT at, cmd, exit_code, duration_ms, bytes_out, timed_out FROM exec_history WHERE session_id = ? ORDER BY id DESC LIMIT ?`)
      .all(id, limit) as Array<{ at: number; cmd: string; exit_code: number; duration_ms: number; bytes_out: number; timed_out: number }>;
    return rows.map((r) => ({
      at: iso(r.at),
      cmd: JSON.parse(r.cmd) as string[],
      exitCode: r.exit_code,
      durationMs: r.duration_ms,
      bytesOut: r.bytes_out,
      timedOut: r.timed_out === 1,
    }));
  }

  countByState(): Record<string, number> {
    const rows = this.db.prepare(`SELECT state, COUNT(*) AS n FROM sessions GROUP BY state`).all() as Array<{ state: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }
}
