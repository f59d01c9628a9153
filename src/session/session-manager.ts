import { posix } from 'node:path';
import { BerthError, invalidArgument } from '../common/errors.js';
import { randomId } from '../common/ids.js';
import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { Container } from '../lifecycle/container.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { AlertRules } from '../monitor/alert-rules.js';
import type { EventBus } from '../monitor/event-bus.js';
import type { NetworkManager } from '../network/network-manager.js';
import { normalisePolicy, sessionNetworkName, specWithPolicy, type NetworkPolicy } from '../network/network-policy.js';
import type { OpMetricsRepository } from '../store/op-metrics-repository.js';
import type { NewSession, SessionRepository } from '../store/session-repository.js';
import { withSessionMounts, type SessionVolumesRequest } from '../volume/session-volumes.js';
import { carryTmpfsContents, tmpfsAmong } from '../files/fork-tmpfs.js';
import { assertEngineRequest, assertMemoryFits, assertLocalRequest } from './create-checks.js';
import type { EngineSide } from './engine-side.js';
import type { AgentHub } from '../agent/agent-hub.js';
import { SessionIo } from './session-io.js';
import { DEFAULT_SECRET_ENV_PATTERNS, nameMatcher, splitEnv, takeHostEnv } from './secret-env.js';
import { bindingOf, boundHere, type EngineBinding } from './engine-binding.js';
import { assertLive, engineFor, findSession, noEngine, requireEngine } from './session-lookup.js';
import { DEFAULT_BASE_DIR, parseSessionRequest, resolveSessionSpec, type CreateSessionRequest } from './create-request.js';
import type { AttachOptions, ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import type { Backend, SandboxFiles } from './sandbox.js';
import type { Trust } from '../security/trust.js';
import { assertNonRoot } from '../security/image-user.js';
import { PROFILE_LABEL } from '../security/security-profile.js';
import { containerNameFor, SESSION_STATES, TERMINAL_STATES, type ExecDefaults, type ExecRecord, type Session, type SessionEvent, type SessionState } from './session.js';
import type {
  ListSessionsRequest,
  PruneSessionsOptions,
  PruneSessionsResult,
  SessionExecOptions,
  SessionExecStream,
  SessionExecStreamOptions,
  SessionLogs,
  SessionLogsOptions,
  CreateSessionOptions,
  SessionsApi,
  StopSessionOptions,
} from './sessions-api.js';

export interface SessionManagerDeps {
  engine?: EngineSide;
  /** The local backend: sessions in host directories. */
  local: LocalBackend;
  /** Backend of a session whose request names none; default `engine`. */
  defaultBackend?: Backend;
  /**
   * `local`: while there is no engine, a session meant for the engine is made on the
   * local backend instead, with a warning, counted as a fallback. Default `none`.
   */
  fallback?: 'local' | 'none';
  repo: SessionRepository;
  /** Per-kind counters (`createSession`, with its fallbacks). */
  opMetrics?: OpMetricsRepository;
  /** State changes are published here. */
  events?: EventBus;
  /** Named partial specs; `default` is used when a request names none. */
  templates: Readonly<Record<string, Partial<ContainerSpec>>>;
  /** Alert rule overrides per template (a request's own `alerts` go over them). */
  templateAlerts?: Readonly<Record<string, Partial<AlertRules>>>;
  log: Logger;
  /** Default exec timeout in ms; default 600000 (10 min). */
  execTimeoutMs?: number;
  /** unix ms; default Date.now. */
  now?: () => number;
  /** Variable names whose values are secret in every session (globs); default `DEFAULT_SECRET_ENV_PATTERNS`. */
  secretEnvPatterns?: readonly string[];
  /** Where `envFromHost` takes variables from; default this process's environment. */
  hostEnv?: NodeJS.ProcessEnv;
  /** Session agents (fast exec, kept processes, shells); absent: engine exec only. */
  agents?: AgentHub;
}

export interface ForkOptions {
  /** Name of the new session; default its id. */
  name?: string;
  /** Who asks; default `operator`. An untrusted fork keeps only the bind mounts its caller could make. */
  trust?: Trust;
}

/** Bytes of an image's /etc/passwd read to find a user's uid. */
const PASSWD_MAX_BYTES = 1024 * 1024;

/** Repository of fork snapshot images. */
export const SNAPSHOT_REPO = 'berth-snapshot';

/** Sessions bound to containers, with their state in the store. */
export class SessionManager implements SessionsApi {
  private readonly d: SessionManagerDeps;
  private readonly now: () => number;
  /** Requests changing each session's state now (and for 1 s after); engine events about them are not news. A count: two overlapping requests must not clear each other's guard. */
  private readonly changing = new Map<string, number>();
  /** Sessions whose creation is in progress in this process (reconcile leaves them alone). */
  private readonly inFlight = new Set<string>();
  private readonly io: SessionIo;
  private readonly secretName: (name: string) => boolean;

  constructor(deps: SessionManagerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.io = new SessionIo({ ...deps, now: this.now });
    this.secretName = nameMatcher(deps.secretEnvPatterns ?? DEFAULT_SECRET_ENV_PATTERNS);
  }

  /** True for a name whose value is secret: one of `names`, or matching the configured patterns. */
  private isSecret(names: readonly string[]): (name: string) => boolean {
    const set = new Set(names);
    return (name) => set.has(name) || this.secretName(name);
  }

  /**
   * Write-ahead: the `creating` row is committed before the engine is asked, and the
   * container's name comes from the session id, so a crash or retry never makes two.
   */
  async create(input: CreateSessionRequest, options: CreateSessionOptions = {}): Promise<Session> {
    const trust = options.trust ?? 'operator';
    const t0 = performance.now();
    let fellBack = false;
    try {
      const parsed = parseSessionRequest(input);
      if (parsed.envFromHost && trust === 'untrusted') {
        throw new BerthError('PolicyDenied', "envFromHost reads the daemon's own environment: only an operator (the socket or the TCP token, not an untrusted caller) may use it; pass the values as secretEnv instead", {
          details: { problems: [{ path: 'envFromHost', message: 'not allowed for untrusted callers' }] },
        });
      }
      const taken = parsed.envFromHost ? takeHostEnv(parsed.envFromHost, this.d.hostEnv ?? process.env) : undefined;
      const withSecrets = taken ? { ...input, secretEnv: { ...taken, ...parsed.secretEnv } } : input;
      const variant = parsed.backend === 'local' ? undefined : parsed.variant;
      const variantImage = variant && this.d.engine?.images ? (await this.d.engine.images.ensureBaseImage(variant)).image : undefined;
      const { request, spec } = resolveSessionSpec(withSecrets, this.d.templates, variantImage);
      const { backend, fallback } = this.chooseBackend(request.backend);
      fellBack = fallback;
      if (backend === 'local') assertLocalRequest(request);
      else {
        assertEngineRequest(request, spec);
        assertMemoryFits(spec);
        this.engineSide().containers.assertAllowed(spec, trust);
      }
      const s = await this.createFrom(spec, {
        ...(request.name ? { name: request.name } : {}),
        ...(request.template ? { template: request.template } : {}),
        labels: request.labels ?? {},
        ...(request.ttlMs ? { ttlMs: request.ttlMs } : {}),
        ...(request.idleTimeoutMs ? { idleTimeoutMs: request.idleTimeoutMs } : {}),
        baseDir: posix.normalize(request.baseDir ?? DEFAULT_BASE_DIR),
        confine: request.confine ?? true,
        alertRules: { ...this.d.templateAlerts?.[request.template ?? 'default'], ...request.alerts },
        ...(request.health ? { healthPolicy: request.health } : {}),
        ...(taken && parsed.envFromHost ? { envFromHost: { patterns: parsed.envFromHost, taken: Object.keys(taken).sort() } } : {}),
      }, {
        backend,
        secretNames: Object.keys(request.secretEnv ?? {}),
        trust,
        ...(request.volumes ? { volumes: request.volumes } : {}),
        ...(request.network !== undefined && backend === 'engine' ? { network: normalisePolicy(request.network) } : {}),
      });
      this.d.opMetrics?.record('createSession', true, performance.now() - t0, fellBack);
      return s;
    } catch (err) {
      this.d.opMetrics?.record('createSession', false, performance.now() - t0, fellBack);
      throw err;
    }
  }

  /** The backend a request gets: its own, else the default; the local one when the engine is missing and fallback allows. */
  private chooseBackend(asked: Backend | undefined): { backend: Backend; fallback: boolean } {
    const backend = asked ?? this.d.defaultBackend ?? 'engine';
    if (backend === 'local' || this.d.engine) return { backend, fallback: false };
    if (this.d.fallback === 'local' && asked === undefined) {
      this.d.log.warn('no container engine: this session runs on the local backend (a host directory, no isolation)');
      return { backend: 'local', fallback: true };
    }
    throw noEngine();
  }

  /**
   * Write-ahead: the `creating` row is committed before the engine is asked, and the
   * container's name comes from the session id, so a crash or retry never makes two.
   */
  private async createFrom(
    spec: ContainerSpec,
    meta: Omit<NewSession, 'id' | 'name' | 'spec' | 'engine' | 'containerName' | 'now' | 'secrets'> & { name?: string },
    how: { backend: Backend; secretNames: readonly string[]; trust: Trust; copyOf?: string; volumes?: SessionVolumesRequest; network?: NetworkPolicy },
  ): Promise<Session> {
    const id = `s-${randomId(6)}`;
    const name = meta.name ?? id;
    if (how.network) spec = specWithPolicy(spec, how.network, how.network.join ? this.joinedNetwork(how.network.join) : sessionNetworkName(id), name);
    if (how.backend === 'local') meta = { ...meta, baseDir: this.d.local.dirFor(id), confine: true };
    if (this.d.repo.nameTaken(name)) {
      throw new BerthError('Conflict', `a session named "${name}" exists; choose another name or remove it first`, { details: { name } });
    }
    const containerName = containerNameFor(id);
    const isSecret = this.isSecret(how.secretNames);
    const env = splitEnv(spec.env, isSecret);
    const defaults = splitEnv(meta.execDefaults?.env, isSecret);
    const stored = {
      ...meta,
      ...(meta.execDefaults?.env ? { execDefaults: { ...meta.execDefaults, env: defaults.shown } } : {}),
      spec: spec.env ? { ...spec, env: env.shown } : spec,
      secrets: { spec: env.secret, defaults: defaults.secret },
    };
    const bound = how.backend === 'local' ? undefined : bindingOf(this.engineSide().engine.info);
    this.inFlight.add(id);
    try {
      try {
        this.d.repo.insert({ ...stored, id, name, engine: bound?.kind ?? 'local', ...(bound ? { engineEndpoint: bound.endpoint } : {}), containerName, now: this.now() });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new BerthError('Conflict', `a session named "${name}" exists; choose another name`, { details: { name }, cause: err });
        }
        throw err;
      }
      const log = this.d.log.child({ sessionId: id });
      if (how.backend === 'local') return await this.createLocal(id, how.copyOf, log);
      return await this.createOnEngine(id, spec, meta, how, log);
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** The row is already committed: volumes, network, container, start, base dir. */
  private async createOnEngine(
    id: string,
    spec: ContainerSpec,
    meta: { baseDir: string; labels: Record<string, string> },
    how: { volumes?: SessionVolumesRequest; trust: Trust },
    log: Logger,
  ): Promise<Session> {
    const containerName = containerNameFor(id);
    const side = this.engineSide();
    let container: Container | undefined;
    try {
      const vols = how.volumes ? await side.volumes.prepareSession(id, how.volumes, { baseDir: meta.baseDir, labels: meta.labels }) : undefined;
      const mounted = vols ? withSessionMounts(spec, vols, meta.baseDir) : {};
      if (spec.network === sessionNetworkName(id)) await this.networks().ensureSessionNetwork(id, spec.labels ?? {});
      const systemMounts = this.d.agents ? await this.d.agents.prepare(id) : [];
      container = await side.containers.create({ ...spec, ...mounted, name: containerName }, { labels: { [LABELS.session]: id }, trust: how.trust, systemMounts });
      this.d.repo.bindContainer(id, container.id);
      const cid = container.id;
      if (spec.labels?.[PROFILE_LABEL] === 'strict') await assertNonRoot(spec.user, async () => (await side.files.readFile(cid, '/etc/passwd', PASSWD_MAX_BYTES)).toString('utf8'));
      await container.start();
      if (systemMounts.length) await this.d.agents?.launch(side.engine, id, container.id);
      await side.files.mkdirp(container.id, meta.baseDir);
      this.transition(id, 'running', 'started', this.now(), ['creating']);
      log.info({ containerId: container.id.slice(0, 12), image: spec.image }, 'session running');
      return this.require(id);
    } catch (err) {
      const reason = `creation failed: ${BerthError.from(err).message}`;
      if (container) await container.remove({ force: true }).catch(() => undefined);
      this.d.agents?.release(id);
      if (how.volumes) await side.volumes.sessionEnded(id, { force: true });
      this.transition(id, 'failed', reason, this.now());
      await this.releaseNetworks(spec);
      log.warn({ err }, 'session creation failed');
      throw err;
    }
  }

  /** The row is already committed; makes the directory (a copy of `copyOf` for a fork). */
  private async createLocal(id: string, copyOf: string | undefined, log: Logger): Promise<Session> {
    try {
      const dir = await this.d.local.create(id, copyOf);
      this.d.repo.bindContainer(id, dir);
      this.transition(id, 'running', 'started', this.now(), ['creating']);
      log.info({ dir, backend: 'local' }, 'session running');
      return this.require(id);
    } catch (err) {
      await this.d.local.remove(this.d.local.dirFor(id)).catch(() => undefined);
      this.transition(id, 'failed', `creation failed: ${BerthError.from(err).message}`, this.now());
      log.warn({ err }, 'session creation failed');
      throw err;
    }
  }

  /**
   * A new session from a snapshot of this one's filesystem (an engine commit plus the
   * contents of its tmpfs base dir and tmpfs mounts, or a copy of the directory on the
   * local backend), with the same spec, limits, base dir and exec defaults. The two
   * diverge independently.
   */
  async fork(idOrName: string, options: ForkOptions = {}): Promise<Session> {
    const src = this.find(idOrName);
    assertLive(src, 'fork');
    if (src.backend === 'engine') engineFor(src, this.d.engine);
    if (src.state === 'creating') throw new BerthError('Conflict', `session ${src.name} is still being created`);
    if (src.backend === 'engine' && src.engine === 'podman' && src.spec.labels?.[PROFILE_LABEL] === 'strict') {
      // Podman 4.3 commits a userns=auto container with its host-side ids, and a container of that
      // snapshot then needs an id range larger than userns=auto may give: refused, not half-done.
      throw new BerthError('Conflict', `session ${src.name} is strict on Podman (a user namespace of its own), which cannot be forked yet; copy its files into a new session (berth cp), or fork on Docker`);
    }
    const revealed = this.io.env(src);
    const execDefaults = revealed.defaults ? { ...src.execDefaults, env: revealed.defaults } : src.execDefaults;
    const spec = revealed.spec ? { ...src.spec, env: revealed.spec } : src.spec;
    const secretNames = src.secretEnv;
    const trust = options.trust ?? 'operator';
    const meta = {
      ...(options.name ? { name: options.name } : {}),
      labels: src.labels,
      ...(src.ttlMs ? { ttlMs: src.ttlMs } : {}),
      ...(src.idleTimeoutMs ? { idleTimeoutMs: src.idleTimeoutMs } : {}),
      baseDir: src.baseDir,
      confine: src.confine,
      execDefaults,
      alertRules: src.alertRules,
      healthPolicy: src.healthPolicy,
      forkedFrom: src.id,
    };
    if (src.backend === 'local') {
      const s = await this.createFrom(spec, meta, { backend: 'local', secretNames, trust, copyOf: src.containerId ?? src.baseDir });
      // Exec defaults that pointed into the source's directory point into the fork's.
      const wd = src.execDefaults.workdir;
      if (wd && (wd === src.baseDir || wd.startsWith(`${src.baseDir}/`))) return this.setDefaults(s.id, { workdir: s.baseDir + wd.slice(src.baseDir.length) });
      return s;
    }
    const side = this.engineSide();
    const srcContainer = src.containerId ?? src.containerName;
    // A stopped container's tmpfs mounts are gone; a paused one's cannot be read (no exec).
    const carry = src.state === 'stopped' ? [] : await tmpfsAmong(side.files, srcContainer, [src.baseDir, ...Object.keys(src.spec.tmpfs ?? {})]);
    if (carry.length && src.state === 'paused') {
      throw new BerthError('Conflict', `session ${src.name} is paused and ${carry.join(', ')} is a tmpfs, readable only while it runs: unpause it (berth start ${src.name}) and fork again`);
    }
    const engine = side.engine;
    side.containers.assertAllowed(src.spec, trust);
    const tag = `${src.id}-${randomId(3)}`;
    await engine.commitContainer(srcContainer, {
      repo: SNAPSHOT_REPO,
      tag,
      labels: { [LABELS.managed]: 'true', [LABELS.snapshotOf]: src.id },
    });
    const image = `${SNAPSHOT_REPO}:${tag}`;
    let child: Session;
    try {
      child = await this.createFrom({ ...spec, image }, { ...meta, snapshotImage: image }, { backend: 'engine', secretNames, trust });
    } catch (err) {
      await engine.removeImage(image).catch(() => undefined);
      throw err;
    }
    if (!carry.length) return child;
    try {
      await carryTmpfsContents(side.files, srcContainer, child.containerId ?? child.containerName, carry);
      return child;
    } catch (err) {
      const e = BerthError.from(err);
      await this.end(child, `fork failed: the tmpfs contents could not be copied: ${e.message}`, 'failed').catch(() => undefined);
      throw new BerthError(e.code, `fork of ${src.name}: its tmpfs contents (${carry.join(', ')}) could not be copied into the new session, which was removed: ${e.message}`, { cause: err });
    }
  }

  /** Sets defaults for later execs (persisted): `workdir`, and `env` merged over the current ones. */
  async setDefaults(idOrName: string, defaults: ExecDefaults): Promise<Session> {
    const s = this.find(idOrName);
    assertLive(s, 'change');
    const problems = [
      ...(defaults.workdir !== undefined && !defaults.workdir.startsWith('/') ? [{ path: 'workdir', message: 'must be an absolute path' }] : []),
      ...(defaults.workdir?.startsWith('/') && s.backend === 'local' && posix.relative(s.baseDir, posix.normalize(defaults.workdir)).startsWith('..')
        ? [{ path: 'workdir', message: `must be inside the sandbox's directory ${s.baseDir} on the local backend` }]
        : []),
      ...Object.keys(defaults.env ?? {}).filter((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)).map((k) => ({ path: `env.${k}`, message: 'is not a valid variable name' })),
    ];
    if (problems.length) throw invalidArgument(problems, 'exec defaults');
    const current = this.io.env(s).defaults;
    const env = splitEnv(defaults.env ? { ...current, ...defaults.env } : current, this.isSecret(s.secretEnv));
    const next: ExecDefaults = {
      ...s.execDefaults,
      ...(defaults.workdir !== undefined ? { workdir: defaults.workdir } : {}),
      ...(defaults.env || current ? { env: env.shown } : {}),
    };
    this.d.repo.setExecDefaults(s.id, next, env.secret);
    return this.require(s.id);
  }

  async list(request: ListSessionsRequest = {}): Promise<Session[]> {
    const wanted = request.state === undefined ? undefined : Array.isArray(request.state) ? request.state : [request.state];
    for (const s of wanted ?? []) {
      if (!SESSION_STATES.includes(s)) {
        throw new BerthError('InvalidArgument', `state: "${s}" is not one of ${SESSION_STATES.join(', ')}`, {
          details: { problems: [{ path: 'state', message: `must be one of ${SESSION_STATES.join(', ')}` }] },
        });
      }
    }
    const states = wanted ?? (request.all ? undefined : SESSION_STATES.filter((s) => !TERMINAL_STATES.has(s)));
    return this.flagged(this.d.repo.list({
      ...(states ? { states } : {}),
      ...(request.name ? { name: request.name } : {}),
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.limit ? { limit: request.limit } : {}),
    }));
  }

  /** Marks live engine sessions of an engine berth is not connected to `unreachable` (they are left as they are). */
  private flagged(list: Session[]): Session[] {
    return list.map((s) => this.flag(s));
  }

  private flag(s: Session): Session {
    return s.backend === 'engine' && !TERMINAL_STATES.has(s.state) && !boundHere(s, this.here()) ? { ...s, unreachable: true } : s;
  }

  /** The session, with the way its execs go now (`execPath`) when it runs on an engine. */
  async get(idOrName: string): Promise<Session> {
    const s = this.find(idOrName);
    if (s.backend !== 'engine' || TERMINAL_STATES.has(s.state)) return s;
    return { ...s, execPath: this.d.agents?.status(s.id) ?? { path: 'engine', reason: 'agents are off' } };
  }

  /** After its container started again: a session made with an agent gets it back (else engine exec, said in execPath). */
  private async relaunchAgent(s: Session): Promise<void> {
    if (s.backend !== 'engine' || !this.d.agents || !this.d.engine) return;
    await this.d.agents.recover(s.id);
    if (this.d.agents.hasSlot(s.id)) await this.d.agents.launch(this.d.engine.engine, s.id, s.containerId ?? s.containerName);
  }

  /** After a daemon restart: listen again for the agents of running engine sessions. */
  async recoverAgents(): Promise<void> {
    if (!this.d.agents) return;
    for (const s of this.d.repo.list({ states: ['running', 'paused'] })) {
      if (s.backend === 'engine') await this.d.agents.recover(s.id).catch((err: unknown) => this.d.log.warn({ err, sessionId: s.id }, 'could not listen for the session agent again'));
    }
  }

  async stop(idOrName: string, options: StopSessionOptions = {}): Promise<Session> {
    const s = this.find(idOrName);
    assertLive(s, 'stop');
    if (s.state === 'stopped') return s;
    await this.changingState(s.id, async () => {
      const c = await this.io.sandboxOf(s);
      if (s.state === 'paused') await c.unpause();
      await c.stop({ graceSeconds: options.graceSeconds ?? 10 });
      this.transition(s.id, 'stopped', 'stopped by request', this.now(), ['running', 'paused', 'stopped']);
    });
    return this.require(s.id);
  }

  async start(idOrName: string): Promise<Session> {
    const s = this.find(idOrName);
    assertLive(s, 'start');
    if (s.state === 'running') return s;
    if (s.state === 'creating') throw new BerthError('Conflict', `session ${s.name} is still being created`);
    await this.changingState(s.id, async () => {
      const c = await this.io.sandboxOf(s);
      if (s.state === 'paused') await c.unpause();
      else {
        await c.start();
        await this.relaunchAgent(s);
      }
      this.transition(s.id, 'running', 'started by request', this.now(), ['stopped', 'paused']);
    });
    return this.require(s.id);
  }

  async remove(idOrName: string): Promise<Session> {
    const s = this.find(idOrName);
    return this.end(s, 'ended by request');
  }

  /**
   * Restarts a running session's container (health policy), recorded as a state change;
   * the engine's die/start events of the restart are not taken for news.
   */
  async prune(options: PruneSessionsOptions = {}): Promise<PruneSessionsResult> {
    const until = options.until === undefined ? this.now() : Date.parse(options.until);
    if (Number.isNaN(until)) {
      throw new BerthError('InvalidArgument', `until: "${options.until}" is not a date (ISO 8601, e.g. 2026-12-01T10:00Z)`, {
        details: { problems: [{ path: 'until', message: 'must be an ISO 8601 date' }] },
      });
    }
    return { removed: this.d.repo.prune(until) };
  }

  async restart(idOrName: string, reason: string): Promise<Session> {
    const s = this.find(idOrName);
    assertLive(s, 'restart');
    await this.changingState(s.id, async () => {
      const c = await this.io.sandboxOf(s);
      await c.assertStartable?.();
      await c.stop({ graceSeconds: 2 });
      await c.start();
      await this.relaunchAgent(s);
      this.transition(s.id, 'running', reason, this.now(), ['running', 'stopped', 'paused']);
    });
    return this.require(s.id);
  }

  /**
   * Stops and removes the session's container and marks it `state` (default `ended`)
   * with `reason`. Ending an ended session is a no-op.
   */
  async end(s: Session, reason: string, state: 'ended' | 'failed' = 'ended'): Promise<Session> {
    if (TERMINAL_STATES.has(s.state)) return s;
    await this.changingState(s.id, async () => {
      if (s.backend === 'local') {
        await this.d.local.remove(s.containerId ?? s.baseDir);
      } else {
        const c = await this.io.sandboxOf(s);
        await c.stop({ graceSeconds: 2 }).catch(() => undefined);
        await c.remove({ force: true, volumes: true });
      }
      this.transition(s.id, state, reason, this.now());
    });
    this.d.agents?.release(s.id);
    if (s.backend === 'engine') {
      await this.d.engine?.volumes.sessionEnded(s.id).catch((err: unknown) => this.d.log.warn({ err, sessionId: s.id }, 'could not remove the session\'s volumes'));
      await this.releaseNetworks(s.spec);
    }
    if (s.snapshotImage && this.d.engine && this.d.repo.imageUsers(s.snapshotImage, s.id) === 0) {
      await this.d.engine.engine.removeImage(s.snapshotImage).catch((err: unknown) => this.d.log.warn({ err, image: s.snapshotImage }, 'could not remove a snapshot image'));
    }
    this.d.log.info({ sessionId: s.id, reason }, 'session ended');
    return this.require(s.id);
  }

  exec(idOrName: string, options: SessionExecOptions): Promise<ExecResult> {
    return this.io.exec(idOrName, options);
  }

  execStream(idOrName: string, options: SessionExecStreamOptions): Promise<SessionExecStream> {
    return this.io.execStream(idOrName, options);
  }

  openShell(idOrName: string, options: ShellOptions = {}): Promise<ShellStream> {
    return this.io.openShell(idOrName, options);
  }

  attach(idOrName: string, options: AttachOptions = {}): Promise<ShellStream> {
    return this.io.attach(idOrName, options);
  }

  logs(idOrName: string, options: SessionLogsOptions = {}): Promise<SessionLogs> {
    return this.io.logs(idOrName, options);
  }

  /** The session's sandbox, for the files API: its id and file operations. `Conflict` when it has none any more. */
  sandboxFor(idOrName: string): { session: Session; id: string; files: SandboxFiles } {
    return this.io.sandboxFor(idOrName);
  }

  async events(idOrName: string): Promise<SessionEvent[]> {
    return this.d.repo.events(this.find(idOrName).id);
  }

  async history(idOrName: string): Promise<ExecRecord[]> {
    return this.d.repo.execHistory(this.find(idOrName).id);
  }

  /**
   * Ends sessions past their TTL or idle timeout. Returns the ids ended. A sweep asked
   * for while one runs gets that one (a sweep can outlast the interval: each end waits
   * for a stop), so sweeps never overlap and never end a session twice.
   */
  sweep(): Promise<string[]> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private sweeping: Promise<string[]> | undefined;

  private async sweepOnce(): Promise<string[]> {
    const now = this.now();
    const ended: string[] = [];
    for (const s of this.d.repo.list({ states: ['running', 'paused', 'stopped'], limit: 100_000 })) {
      if (s.backend === 'engine' && !boundHere(s, this.here())) continue;
      const created = Date.parse(s.createdAt);
      const active = Date.parse(s.lastActiveAt);
      const reason =
        s.ttlMs !== undefined && now - created >= s.ttlMs ? `ttl of ${s.ttlMs} ms reached`
        : s.idleTimeoutMs !== undefined && now - active >= s.idleTimeoutMs ? `idle for ${s.idleTimeoutMs} ms`
        : undefined;
      if (!reason) continue;
      await this.end(s, reason).catch((err: unknown) => this.d.log.warn({ err, sessionId: s.id }, 'could not end an expired session'));
      ended.push(s.id);
    }
    return ended;
  }

  /** True while this process is creating the session (its row says `creating`, and that is news to nobody). */
  isBeingCreated(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** The engine berth is connected to; undefined without one. */
  here(): EngineBinding | undefined {
    return this.d.engine && bindingOf(this.d.engine.engine.info);
  }

  /** Records a state change seen from the engine (events, reconcile). */
  observe(id: string, to: SessionState, reason: string, from: readonly SessionState[]): boolean {
    if ((this.changing.get(id) ?? 0) > 0) return false;
    return this.transition(id, to, reason, this.now(), from);
  }

  /** Moves a session (see SessionRepository.transition) and publishes the change. */
  private transition(id: string, to: SessionState, reason: string, now: number, from?: readonly SessionState[]): boolean {
    const moved = this.d.repo.move(id, to, reason, now, from);
    if (moved && moved.from !== to) this.d.events?.publish({ type: 'session.state', sessionId: id, at: new Date(now).toISOString(), data: { from: moved.from, to, reason } });
    return moved !== undefined;
  }

  private async changingState(id: string, fn: () => Promise<void>): Promise<void> {
    this.changing.set(id, (this.changing.get(id) ?? 0) + 1);
    try {
      await fn();
    } finally {
      setTimeout(() => {
        const n = (this.changing.get(id) ?? 1) - 1;
        if (n > 0) this.changing.set(id, n);
        else this.changing.delete(id);
      }, 1000).unref();
    }
  }

  /** The isolated network of the live engine session `idOrName`, for `join`. */
  private joinedNetwork(idOrName: string): string {
    const other = this.find(idOrName);
    assertLive(other, 'join the network of');
    if (other.backend !== 'engine' || !other.spec.network?.startsWith(sessionNetworkName(''))) {
      throw new BerthError('Conflict', `session ${other.name} has no isolated network to join; create it with network: 'isolated'`, {
        details: { join: other.name, network: other.spec.network ?? 'none' },
      });
    }
    return other.spec.network;
  }

  /** After a session on an isolated network ended or failed: removes session networks nobody uses any more. */
  private async releaseNetworks(spec: ContainerSpec): Promise<void> {
    if (!spec.network?.startsWith(sessionNetworkName('')) || !this.d.engine) return;
    await this.d.engine.networks.releaseSessionNetworks().catch((err: unknown) => this.d.log.warn({ err, network: spec.network }, 'could not remove a session network'));
  }

  private networks(): NetworkManager {
    return this.engineSide().networks;
  }

  private engineSide(): EngineSide {
    return requireEngine(this.d.engine);
  }

  private find(idOrName: string): Session {
    return this.flag(findSession(this.d.repo, idOrName));
  }

  private require(id: string): Session {
    return this.find(id);
  }
}
