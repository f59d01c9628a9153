import { SessionProcesses } from './agent/session-processes.js';
import { AgentHub } from './agent/agent-hub.js';
import { packageRoot } from './common/package-root.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError, invalidArgument } from './common/errors.js';
import { randomId } from './common/ids.js';
import { DEFAULT_INSTANCE } from './common/labels.js';
import { silentLogger, type Logger } from './common/logger.js';
import { Engine, type EngineCallObserver } from './engine/engine.js';
import type { EngineInfo, EngineKind } from './engine/types.js';
import { ContainerManager } from './lifecycle/container-manager.js';
import { ImageService } from './image/image-service.js';
import { DEBIAN_BASE_IMAGE, IMAGE_VARIANTS, type ImageVariant } from './image/variants.js';
import { ContainerFiles } from './files/container-files.js';
import { EngineFiles } from './files/engine-files.js';
import { ExecTarFiles } from './files/exec-tar-files.js';
import { engineSandboxExec } from './files/sandbox-exec.js';
import { SessionFiles } from './files/session-files.js';
import { defaultLocalRoot, LocalBackend } from './local/local-backend.js';
import { LocalGroupRepository } from './store/local-group-repository.js';
import { NetworkManager } from './network/network-manager.js';
import { TERMINAL_STATES } from './session/session.js';
import type { Backend } from './session/sandbox.js';
import type { EngineSide } from './session/engine-side.js';
import { SessionManager } from './session/session-manager.js';
import type { AlertRules } from './monitor/alert-rules.js';
import { EventBus } from './monitor/event-bus.js';
import { HealthRepository } from './store/health-repository.js';
import { MonitorRepository } from './store/monitor-repository.js';
import { OpMetricsRepository } from './store/op-metrics-repository.js';
import type { ContainerSpec } from './spec/container-spec.js';
import { openDatabase, type Database } from './store/database.js';
import { SessionRepository } from './store/session-repository.js';
import { SecretBox } from './store/secret-box.js';
import { AuditRepository } from './store/audit-repository.js';
import { mountPolicyProblems, type MountPolicy } from './security/mount-policy.js';
import { SecurityService } from './security/security-api.js';
import { SecurityScorer } from './security/security-scorer.js';
import { SpecPolicy } from './security/spec-policy.js';
import { VolumeRepository } from './store/volume-repository.js';
import type { CleanupPolicy } from './volume/cleanup-policy.js';
import { VolumeManager } from './volume/volume-manager.js';
import { WorkflowRepository } from './store/workflow-repository.js';
import { WorkflowManager } from './workflow/workflow-manager.js';

export { DEBIAN_BASE_IMAGE };

/** Host directory of workflow runs' artifacts when none is configured. */
const defaultWorkflowDir = (): string => join(tmpdir(), `berth-workflows-${process.getuid?.() ?? 'user'}`);

/** The templates every berth knows; configuration can add or replace them. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, Partial<ContainerSpec>>> = {
  default: { image: 'berth-fixture:busybox' },
  busybox: { image: 'berth-fixture:busybox' },
};


/**
 * The daemon's templates over `BUILTIN_TEMPLATES` (its config can replace them): a session
 * made from the CLI gets a real userland (bash, coreutils, apt), not the busybox test fixture.
 */
export const DAEMON_TEMPLATES: Readonly<Record<string, Partial<ContainerSpec>>> = {
  default: { image: DEBIAN_BASE_IMAGE },
  debian: { image: DEBIAN_BASE_IMAGE },
};

export interface BerthConnectOptions {
  /** `auto` (default): the first engine that answers; or insist on `docker` / `podman`. */
  engine?: EngineKind | 'auto';
  /** Engine socket path or URL; default: detected (env, CLI context, well-known sockets). */
  socketPath?: string;
  /**
   * Backend of sessions that do not name one: `engine` (default) or `local` (a temporary
   * host directory per session, host processes, no isolation). With `local`, no engine
   * is needed or contacted.
   */
  backend?: Backend;
  /**
   * `local`: when no engine answers, connect anyway and make sessions on the local
   * backend, each with a warning, counted as a fallback in `files.metrics()`. Default
   * `none`: no engine is `EngineUnavailable`.
   */
  fallback?: 'local' | 'none';
  /** Parent directory of local sandboxes; default `$TMPDIR/berth-local-<uid>`. */
  localRoot?: string;
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
  /** Told of every engine call (metrics). */
  engineObserver?: EngineCallObserver;
  /** Alert rule overrides per template. */
  templateAlerts?: Record<string, Partial<AlertRules>>;
  /** Host directory for workflow runs' artifacts while they run; default `$TMPDIR/berth-workflows-<uid>`. */
  workflowDir?: string;
  /** Which host paths bind mounts may use (allow-list, more denied paths); default: the built-in deny rules only. */
  mountPolicy?: MountPolicy;
  /** Volume cleanup rules over `DEFAULT_CLEANUP_POLICY` (remove on session end; unused for 7 days). */
  volumePolicy?: Partial<CleanupPolicy>;
  /**
   * `BASE_IMAGE` of each base image variant when a build names none; default
   * `BERTH_BASE_IMAGE_UBUNTU` / `BERTH_BASE_IMAGE_ALPINE`, else the Dockerfile's own.
   */
  baseImages?: Partial<Record<ImageVariant, string>>;
  /** Variable names whose values are secret in every session (globs); default `*_TOKEN`, `*_KEY`, `*_SECRET`, `*PASSWORD*`. */
  secretEnvPatterns?: readonly string[];
  /** Where a session's `envFromHost` takes variables from; default this process's environment. */
  hostEnv?: NodeJS.ProcessEnv;
  /**
   * Session agents (execs in about a millisecond, kept processes, shells that outlive the
   * daemon): `false` turns them off. `dir` holds one socket directory per session (default
   * `$TMPDIR/berth-agents-<uid>`); `binary` is the static agent (default `BERTH_AGENT_BIN`,
   * else agent/build/berth-agent in the package; missing: no agents).
   */
  agents?: false | { dir?: string; binary?: string };
}

function baseImagesFromEnv(): Partial<Record<ImageVariant, string>> {
  const ubuntu = process.env.BERTH_BASE_IMAGE_UBUNTU;
  const alpine = process.env.BERTH_BASE_IMAGE_ALPINE;
  return { ...(ubuntu ? { ubuntu } : {}), ...(alpine ? { alpine } : {}) };
}

/** berth in-process: an engine connection (unless local only), the store, and the managers on top of them. */
export class Berth {
  /** The engine berth talks to; undefined when it runs on the local backend alone. */
  readonly engine: EngineInfo | undefined;
  readonly instance: string;
  readonly sessions: SessionManager;
  /** The sandbox file API of sessions. */
  readonly files: SessionFiles;
  /** The local backend (sessions in host directories). */
  readonly local: LocalBackend;
  /** The session store (repositories over one SQLite connection). */
  readonly repo: SessionRepository;
  /** Per-kind operation counters (files API, session creation). */
  readonly opMetrics: OpMetricsRepository;
  /** Resource samples and alerts. */
  readonly monitor: MonitorRepository;
  /** Health changes and restarts. */
  readonly health: HealthRepository;
  /** Session state changes, alerts, OOM kills, health: subscribe to follow them. */
  readonly events = new EventBus();
  /** Security scores and the audit log. */
  readonly security: SecurityService;
  /** The audit log (the daemon appends every state-changing request). */
  readonly audit: AuditRepository;
  /** Workflow runs (steps as sessions). */
  readonly workflows: WorkflowManager;
  /** Detached processes kept by session agents: start, list, wait, signal, input, output. */
  readonly processes: SessionProcesses;
  /** The session agents; undefined without an engine or with `agents: false`. */
  readonly agents: AgentHub | undefined;
  private readonly db: Database;
  private readonly engineSide: (EngineSide & { images: ImageService }) | undefined;

  private constructor(parts: {
    engine: Engine | undefined;
    db: Database;
    repo: SessionRepository;
    instance: string;
    templates: Record<string, Partial<ContainerSpec>>;
    templateAlerts?: Record<string, Partial<AlertRules>>;
    backend: Backend;
    fallback: 'local' | 'none';
    localRoot?: string;
    policy: SpecPolicy;
    execTimeoutMs?: number;
    volumePolicy?: Partial<CleanupPolicy>;
    baseImages?: Partial<Record<ImageVariant, string>>;
    workflowDir?: string;
    secretEnvPatterns?: readonly string[];
    hostEnv?: NodeJS.ProcessEnv;
    agents?: false | { dir?: string; binary?: string };
    log: Logger;
  }) {
    this.engine = parts.engine?.info;
    this.instance = parts.instance;
    this.db = parts.db;
    this.repo = parts.repo;
    this.opMetrics = new OpMetricsRepository(parts.db);
    this.monitor = new MonitorRepository(parts.db);
    this.health = new HealthRepository(parts.db);
    this.local = new LocalBackend(parts.localRoot ?? defaultLocalRoot(), new LocalGroupRepository(parts.db));
    const log = parts.log.child({ instance: parts.instance });
    this.log = log;
    const sessionLive = (id: string): boolean => {
      const s = parts.repo.find(id);
      return s !== undefined && !TERMINAL_STATES.has(s.state);
    };
    this.engineSide = parts.engine && {
      engine: parts.engine,
      containers: new ContainerManager(parts.engine, parts.instance, log, parts.policy),
      files: new EngineFiles(parts.engine, new ContainerFiles(parts.engine, log), new ExecTarFiles(engineSandboxExec(parts.engine, log))),
      volumes: new VolumeManager({
        engine: parts.engine,
        repo: new VolumeRepository(parts.db),
        instance: parts.instance,
        ...(parts.volumePolicy ? { policy: parts.volumePolicy } : {}),
        sessionLive,
        log,
      }),
      networks: new NetworkManager({ engine: parts.engine, instance: parts.instance, log, sessionLive }),
      images: new ImageService({
        engine: parts.engine,
        log,
        ...(parts.baseImages ? { baseImages: parts.baseImages } : {}),
        checkHostPath: (path) => parts.policy.mounts.assertAllowed([{ type: 'bind', source: path, target: '/' }], 'operator', ['home']),
      }),
    };
    this.agents =
      parts.engine && parts.agents !== false
        ? new AgentHub({
            dir: parts.agents?.dir ?? join(tmpdir(), `berth-agents-${process.getuid?.() ?? 'user'}`),
            binary: parts.agents?.binary ?? process.env.BERTH_AGENT_BIN ?? join(packageRoot(), 'agent', 'build', 'berth-agent'),
            log,
          })
        : undefined;
    this.sessions = new SessionManager({
      ...(this.agents ? { agents: this.agents } : {}),
      ...(this.engineSide ? { engine: this.engineSide } : {}),
      local: this.local,
      defaultBackend: parts.backend,
      fallback: parts.fallback,
      repo: parts.repo,
      opMetrics: this.opMetrics,
      events: this.events,
      templates: parts.templates,
      ...(parts.templateAlerts ? { templateAlerts: parts.templateAlerts } : {}),
      log,
      ...(parts.execTimeoutMs ? { execTimeoutMs: parts.execTimeoutMs } : {}),
      ...(parts.secretEnvPatterns ? { secretEnvPatterns: parts.secretEnvPatterns } : {}),
      ...(parts.hostEnv ? { hostEnv: parts.hostEnv } : {}),
    });
    this.files = new SessionFiles(this.sessions, this.opMetrics);
    this.processes = new SessionProcesses({ repo: parts.repo, ...(this.agents ? { agents: this.agents } : {}), log });
    this.audit = new AuditRepository(parts.db);
    this.security = new SecurityService(this.sessions, parts.engine && new SecurityScorer(parts.engine, parts.policy.mounts, log, (id, path, max) => (this.engineSide as EngineSide).files.readFile(id, path, max)), this.audit);
    this.workflows = new WorkflowManager({
      sessions: this.sessions,
      files: this.files,
      repo: new WorkflowRepository(parts.db),
      workDir: parts.workflowDir ?? defaultWorkflowDir(),
      variants: IMAGE_VARIANTS,
      ...(parts.secretEnvPatterns ? { secretEnvPatterns: parts.secretEnvPatterns } : {}),
      log,
    });
  }

  /** Containers on the engine. `EngineUnavailable` when berth runs without one. */
  get containers(): ContainerManager {
    return this.requireEngine().containers;
  }

  /** Volumes of this instance (workspace, cache, logs), their registry and gc. `EngineUnavailable` when berth runs without an engine. */
  get volumes(): VolumeManager {
    return this.requireEngine().volumes;
  }

  /** This instance's networks on the engine. `EngineUnavailable` when berth runs without one. */
  get networks(): NetworkManager {
    return this.requireEngine().networks;
  }

  /** berth's images: build (through the engine's CLI), ensure a base variant, list, remove, prune. */
  get images(): ImageService {
    return this.requireEngine().images;
  }

  /** The engine boundary, for managers built on top of this client. `EngineUnavailable` when berth runs without one. */
  get engineClient(): Engine {
    return this.requireEngine().engine;
  }

  /** True when berth has an engine (false: local backend only). */
  get hasEngine(): boolean {
    return this.engineSide !== undefined;
  }

  private requireEngine(): EngineSide & { images: ImageService } {
    if (!this.engineSide) throw new BerthError('EngineUnavailable', 'berth runs without a container engine (local backend); start Docker or Podman and reconnect');
    return this.engineSide;
  }

  /**
   * Detects and connects to an engine (not with `backend: 'local'`). `EngineUnavailable`
   * says every place it tried, unless `fallback: 'local'`.
   */
  static async connect(options: BerthConnectOptions = {}): Promise<Berth> {
    const kind = options.engine ?? 'auto';
    const problems = [
      ...(['auto', 'docker', 'podman'].includes(kind) ? [] : [{ path: 'engine', message: 'must be auto, docker or podman' }]),
      ...(options.backend === undefined || ['engine', 'local'].includes(options.backend) ? [] : [{ path: 'backend', message: 'must be engine or local' }]),
      ...(options.fallback === undefined || ['local', 'none'].includes(options.fallback) ? [] : [{ path: 'fallback', message: 'must be local or none' }]),
      ...mountPolicyProblems(options.mountPolicy),
    ];
    if (problems.length) throw invalidArgument(problems, 'connect options');
    const log = options.logger ?? silentLogger();
    const backend = options.backend ?? 'engine';
    const fallback = options.fallback ?? 'none';
    let engine: Engine | undefined;
    if (backend === 'engine') {
      try {
        engine = await Engine.connect({
          engine: kind,
          ...(options.socketPath ? { socketPath: options.socketPath } : {}),
          logger: log,
          ...(options.engineObserver ? { observer: options.engineObserver } : {}),
        });
      } catch (err) {
        if (!(fallback === 'local' && BerthError.is(err, 'EngineUnavailable'))) throw err;
        log.warn({ err: (err as Error).message }, 'no container engine answers: sessions fall back to the local backend (host directories, no isolation)');
      }
    }
    const own = [options.localRoot ?? defaultLocalRoot(), options.workflowDir ?? defaultWorkflowDir()];
    const mountPolicy = { ...options.mountPolicy, deny: [...(options.mountPolicy?.deny ?? []), ...own] };
    const policy = new SpecPolicy({ ...mountPolicy, ...(engine ? { engineSocket: engine.info.socketPath } : {}) }, engine?.host);
    const path = options.database ?? ':memory:';
    const { db } = openDatabase({ path });
    const repo = new SessionRepository(db, SecretBox.forDatabase(path));
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
      ...(options.templateAlerts ? { templateAlerts: options.templateAlerts } : {}),
      backend,
      fallback,
      policy,
      ...(options.localRoot ? { localRoot: options.localRoot } : {}),
      ...(options.execTimeoutMs ? { execTimeoutMs: options.execTimeoutMs } : {}),
      ...(options.volumePolicy ? { volumePolicy: options.volumePolicy } : {}),
      baseImages: options.baseImages ?? baseImagesFromEnv(),
      ...(options.workflowDir ? { workflowDir: options.workflowDir } : {}),
      ...(options.secretEnvPatterns ? { secretEnvPatterns: options.secretEnvPatterns } : {}),
      ...(options.hostEnv ? { hostEnv: options.hostEnv } : {}),
      ...(options.agents !== undefined ? { agents: options.agents } : {}),
      log,
    });
  }

  /**
   * Releases the engine connection and the store. Sessions made in-process keep running
   * (their containers stay, labelled with this instance) unless `endSessions` is true:
   * then every live session of this instance is ended first (containers removed). With the
   * default in-memory store, nothing else will ever end them: pass `endSessions: true`, or
   * end them yourself, or give a `database` file so a later `Berth` adopts them.
   */
  private readonly log: Logger;

  async close(options: { endSessions?: boolean } = {}): Promise<void> {
    if (options.endSessions && this.db.open) {
      for (const s of await this.sessions.list({})) {
        await this.sessions.remove(s.id).catch((err: unknown) => this.log.warn({ err, sessionId: s.id }, 'could not end a session on close'));
      }
    }
    await this.workflows.close();
    this.agents?.close();
    await this.engineSide?.engine.close();
    if (this.db.open) this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
