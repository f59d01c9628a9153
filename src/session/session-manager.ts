import { BerthError } from '../common/errors.js';
import { randomId } from '../common/ids.js';
import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { Container } from '../lifecycle/container.js';
import type { ContainerManager } from '../lifecycle/container-manager.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import type { SessionRepository } from '../store/session-repository.js';
import { resolveSessionSpec, type CreateSessionRequest } from './create-request.js';
import { containerNameFor, SESSION_STATES, TERMINAL_STATES, type ExecRecord, type Session, type SessionEvent, type SessionState } from './session.js';
import type {
  ListSessionsRequest,
  SessionExecOptions,
  SessionExecStream,
  SessionLogs,
  SessionLogsOptions,
  SessionsApi,
  StopSessionOptions,
} from './sessions-api.js';

export interface SessionManagerDeps {
  engine: Engine;
  containers: ContainerManager;
  repo: SessionRepository;
  /** Named partial specs; `default` is used when a request names none. */
  templates: Readonly<Record<string, Partial<ContainerSpec>>>;
  log: Logger;
  /** unix ms; default Date.now. */
  now?: () => number;
}

/** Sessions bound to containers, with their state in the store. */
export class SessionManager implements SessionsApi {
  private readonly d: SessionManagerDeps;
  private readonly now: () => number;
  /** Sessions whose state a request is changing now; engine events about them are not news. */
  private readonly changing = new Set<string>();

  constructor(deps: SessionManagerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Write-ahead: the `creating` row is committed before the engine is asked, and the
   * container's name comes from the session id, so a crash or retry never makes two.
   */
  async create(input: CreateSessionRequest): Promise<Session> {
    const { request, spec } = resolveSessionSpec(input, this.d.templates);
    const id = `s-${randomId(6)}`;
    const name = request.name ?? id;
    if (this.d.repo.nameTaken(name)) {
      throw new BerthError('Conflict', `a session named "${name}" exists; choose another name or remove it first`, { details: { name } });
    }
    const containerName = containerNameFor(id);
    try {
      this.d.repo.insert({
        id,
        name,
        ...(request.template ? { template: request.template } : {}),
        spec,
        labels: request.labels ?? {},
        engine: this.d.engine.info.kind,
        containerName,
        ...(request.ttlMs ? { ttlMs: request.ttlMs } : {}),
        ...(request.idleTimeoutMs ? { idleTimeoutMs: request.idleTimeoutMs } : {}),
        now: this.now(),
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new BerthError('Conflict', `a session named "${name}" exists; choose another name`, { details: { name }, cause: err });
      }
      throw err;
    }
    const log = this.d.log.child({ sessionId: id });
    let container: Container | undefined;
    try {
      container = await this.d.containers.create({ ...spec, name: containerName }, { labels: { [LABELS.session]: id } });
      this.d.repo.bindContainer(id, container.id);
      await container.start();
      this.d.repo.transition(id, 'running', 'started', this.now(), ['creating']);
      log.info({ containerId: container.id.slice(0, 12), image: spec.image }, 'session running');
      return this.require(id);
    } catch (err) {
      const reason = `creation failed: ${BerthError.from(err).message}`;
      if (container) await container.remove({ force: true }).catch(() => undefined);
      this.d.repo.transition(id, 'failed', reason, this.now());
      log.warn({ err }, 'session creation failed');
      throw err;
    }
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
    return this.d.repo.list({
      ...(states ? { states } : {}),
      ...(request.name ? { name: request.name } : {}),
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.limit ? { limit: request.limit } : {}),
    });
  }

  async get(idOrName: string): Promise<Session> {
    return this.find(idOrName);
  }

  async stop(idOrName: string, options: StopSessionOptions = {}): Promise<Session> {
    const s = this.find(idOrName);
    this.assertLive(s, 'stop');
    if (s.state === 'stopped') return s;
    await this.changingState(s.id, async () => {
      const c = await this.containerOf(s);
      if (s.state === 'paused') await c.unpause();
      await c.stop({ graceSeconds: options.graceSeconds ?? 10 });
      this.d.repo.transition(s.id, 'stopped', 'stopped by request', this.now(), ['running', 'paused', 'stopped']);
    });
    return this.require(s.id);
  }

  async start(idOrName: string): Promise<Session> {
    const s = this.find(idOrName);
    this.assertLive(s, 'start');
    if (s.state === 'running') return s;
    if (s.state === 'creating') throw new BerthError('Conflict', `session ${s.name} is still being created`);
    await this.changingState(s.id, async () => {
      const c = await this.containerOf(s);
      if (s.state === 'paused') await c.unpause();
      else await c.start();
      this.d.repo.transition(s.id, 'running', 'started by request', this.now(), ['stopped', 'paused']);
    });
    return this.require(s.id);
  }

  async remove(idOrName: string): Promise<Session> {
    const s = this.find(idOrName);
    return this.end(s, 'ended by request');
  }

  /** Stops and removes the session's container and marks it ended with `reason`. Ending an ended session is a no-op. */
  async end(s: Session, reason: string): Promise<Session> {
    if (TERMINAL_STATES.has(s.state)) return s;
    await this.changingState(s.id, async () => {
      const c = await this.containerOf(s);
      await c.stop({ graceSeconds: 2 }).catch(() => undefined);
      await c.remove({ force: true, volumes: true });
      this.d.repo.transition(s.id, 'ended', reason, this.now());
    });
    this.d.log.info({ sessionId: s.id, reason }, 'session ended');
    return this.require(s.id);
  }

  async exec(idOrName: string, options: SessionExecOptions): Promise<ExecResult> {
    const s = this.find(idOrName);
    this.assertRunning(s);
    const c = await this.containerOf(s);
    const r = await c.exec(options);
    this.d.repo.recordExec(s.id, { cmd: options.cmd, exitCode: r.exitCode, durationMs: r.durationMs, bytesOut: r.stdoutBytes + r.stderrBytes, timedOut: r.timedOut }, this.now());
    return r;
  }

  async execStream(idOrName: string, options: SessionExecOptions): Promise<SessionExecStream> {
    const s = this.find(idOrName);
    this.assertRunning(s);
    const c = await this.containerOf(s);
    const stream = await c.execStream(options);
    let bytesOut = 0;
    stream.stdout.on('data', (d: Buffer) => (bytesOut += d.length));
    stream.stderr.on('data', (d: Buffer) => (bytesOut += d.length));
    const exit = stream.exit.then((e) => {
      this.d.repo.recordExec(s.id, { cmd: options.cmd, exitCode: e.exitCode, durationMs: e.durationMs, bytesOut, timedOut: e.timedOut }, this.now());
      return e;
    });
    return { stdout: stream.stdout, stderr: stream.stderr, exit };
  }

  async logs(idOrName: string, options: SessionLogsOptions = {}): Promise<SessionLogs> {
    const s = this.find(idOrName);
    if (TERMINAL_STATES.has(s.state)) throw new BerthError('Conflict', `session ${s.name} is ${s.state}; its container and logs are gone`);
    const c = await this.containerOf(s);
    return c.logs({ ...(options.follow ? { follow: true } : {}), ...(options.tail !== undefined ? { tail: options.tail } : {}) });
  }

  async events(idOrName: string): Promise<SessionEvent[]> {
    return this.d.repo.events(this.find(idOrName).id);
  }

  async history(idOrName: string): Promise<ExecRecord[]> {
    return this.d.repo.execHistory(this.find(idOrName).id);
  }

  /** Ends sessions past their TTL or idle timeout. Returns the ids ended. */
  async sweep(): Promise<string[]> {
    const now = this.now();
    const ended: string[] = [];
    for (const s of this.d.repo.list({ states: ['running', 'paused', 'stopped'], limit: 100_000 })) {
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

  /** Records a state change seen from the engine (events, reconcile). */
  observe(id: string, to: SessionState, reason: string, from: readonly SessionState[]): boolean {
    if (this.changing.has(id)) return false;
    return this.d.repo.transition(id, to, reason, this.now(), from);
  }

  private async changingState(id: string, fn: () => Promise<void>): Promise<void> {
    this.changing.add(id);
    try {
      await fn();
    } finally {
      setTimeout(() => this.changing.delete(id), 1000).unref();
    }
  }

  private find(idOrName: string): Session {
    if (typeof idOrName !== 'string' || !idOrName) {
      throw new BerthError('InvalidArgument', 'a session id or name is required', { details: { problems: [{ path: 'session', message: 'is required' }] } });
    }
    const s = this.d.repo.find(idOrName);
    if (!s) throw new BerthError('NotFound', `no session "${idOrName}"; list them with \`berth ps -a\``, { details: { session: idOrName } });
    return s;
  }

  private require(id: string): Session {
    return this.find(id);
  }

  private assertLive(s: Session, what: string): void {
    if (TERMINAL_STATES.has(s.state)) {
      throw new BerthError('Conflict', `cannot ${what} session ${s.name}: it is ${s.state}${s.endReason ? ` (${s.endReason})` : ''}`, {
        details: { state: s.state },
      });
    }
  }

  private assertRunning(s: Session): void {
    if (s.state !== 'running') {
      const hint = s.state === 'stopped' || s.state === 'paused' ? `; start it with \`berth start ${s.name}\`` : '';
      throw new BerthError('Conflict', `session ${s.name} is ${s.state}, not running${hint}`, { details: { state: s.state } });
    }
  }

  private async containerOf(s: Session): Promise<Container> {
    return this.d.containers.handle({ id: s.containerId ?? s.containerName, name: s.containerName, tty: s.spec.tty ?? false });
  }
}
