import { BerthError } from './common/errors.js';
import { randomId } from './common/ids.js';
import { DEFAULT_INSTANCE } from './common/labels.js';
import { silentLogger, type Logger } from './common/logger.js';
import { Engine } from './engine/engine.js';
import type { EngineInfo, EngineKind } from './engine/types.js';
import { ContainerManager } from './lifecycle/container-manager.js';
import { ContainerFiles } from './files/container-files.js';
import { SessionFiles } from './files/session-files.js';
import { SessionManager } from './session/session-manager.js';
import { OpMetricsRepository } from './store/op-metrics-repository.js';
import type { ContainerSpec } from './spec/container-spec.js';
import { openDatabase, type Database } from './store/database.js';
import { SessionRepository } from './store/session-repository.js';

/** The templates every berth knows; configuration can add or replace them. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, Partial<ContainerSpec>>> = {
  default: { image: 'berth-fixture:busybox' },
  busybox: { image: 'berth-fixture:busybox' },
};

export interface BerthConnectOptions {
  /** `auto` (default): the first engine that answers; or insist on `docker` / `podman`. */
  engine?: EngineKind | 'auto';
  /** Engine socket path or URL; default: detected (env, CLI context, well-known sockets). */
  socketPath?: string;
  /** SQLite file for sessions; default `:memory:` (sessions last as long as this object). */
  database?: string;
  /**
   * Owner label for what this client creates. Default `BERTH_INSTANCE`, else the id
   * kept in the database file (made on first use), else `default`.
   */
  instance?: string;
  /** Session templates, merged over `BUILTIN_TEMPLATES`. */
  templates?: Record<string, Partial<ContainerSpec>>;
  /** Default timeout of session execs in ms; default 600000 (10 min). */
  execTimeoutMs?: number;
  /** pino logger; default silent. */
  logger?: Logger;
}

/** berth in-process: an engine connection, the store, and the managers on top of them. */
export class Berth {
  readonly engine: EngineInfo;
  readonly instance: string;
  readonly containers: ContainerManager;
  readonly sessions: SessionManager;
  /** The sandbox file API of sessions. */
  readonly files: SessionFiles;
  /** The engine boundary, for managers built on top of this client. */
  readonly engineClient: Engine;
  /** The session store (repositories over one SQLite connection). */
  readonly repo: SessionRepository;
  private readonly db: Database;

  private constructor(parts: {
    engine: Engine;
    db: Database;
    repo: SessionRepository;
    instance: string;
    templates: Record<string, Partial<ContainerSpec>>;
    execTimeoutMs?: number;
    log: Logger;
  }) {
    this.engineClient = parts.engine;
    this.engine = parts.engine.info;
    this.instance = parts.instance;
    this.db = parts.db;
    this.repo = parts.repo;
    const log = parts.log.child({ instance: parts.instance });
    this.containers = new ContainerManager(parts.engine, parts.instance, log);
    const containerFiles = new ContainerFiles(parts.engine, log);
    this.sessions = new SessionManager({
      engine: parts.engine,
      containers: this.containers,
      repo: parts.repo,
      files: containerFiles,
      templates: parts.templates,
      log,
      ...(parts.execTimeoutMs ? { execTimeoutMs: parts.execTimeoutMs } : {}),
    });
    this.files = new SessionFiles(this.sessions, containerFiles, new OpMetricsRepository(parts.db));
  }

  /** Detects and connects to an engine. `EngineUnavailable` says every place it tried. */
  static async connect(options: BerthConnectOptions = {}): Promise<Berth> {
    const kind = options.engine ?? 'auto';
    if (!['auto', 'docker', 'podman'].includes(kind)) {
      throw new BerthError('InvalidArgument', `engine: "${kind}" is not one of auto, docker, podman`, {
        details: { problems: [{ path: 'engine', message: 'must be auto, docker or podman' }] },
      });
    }
    const log = options.logger ?? silentLogger();
    const engine = await Engine.connect({
      engine: kind,
      ...(options.socketPath ? { socketPath: options.socketPath } : {}),
      logger: log,
    });
    const path = options.database ?? ':memory:';
    const { db } = openDatabase({ path });
    const repo = new SessionRepository(db);
    let instance = options.instance ?? process.env.BERTH_INSTANCE;
    if (!instance && path !== ':memory:') {
      instance = repo.getMeta('instance_id');
      if (!instance) {
        instance = `d-${randomId(4)}`;
        repo.setMeta('instance_id', instance);
      }
    }
    return new Berth({
      engine,
      db,
      repo,
      instance: instance ?? DEFAULT_INSTANCE,
      templates: { ...BUILTIN_TEMPLATES, ...options.templates },
      ...(options.execTimeoutMs ? { execTimeoutMs: options.execTimeoutMs } : {}),
      log,
    });
  }

  async close(): Promise<void> {
    await this.engineClient.close();
    if (this.db.open) this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
