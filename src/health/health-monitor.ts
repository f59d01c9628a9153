import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { runExec } from '../exec/run-exec.js';
import type { AlertManager } from '../monitor/alert-manager.js';
import type { EventBus } from '../monitor/event-bus.js';
import type { SessionManager } from '../session/session-manager.js';
import { bindingOf } from '../session/engine-binding.js';
import type { Session } from '../session/session.js';
import type { HealthRepository } from '../store/health-repository.js';
import type { SessionRepository } from '../store/session-repository.js';
import type { HealthReport, HealthStatus } from './health-policy.js';

export interface HealthMonitorOptions {
  engine: Engine;
  sessions: SessionManager;
  repo: SessionRepository;
  health: HealthRepository;
  alerts: AlertManager;
  events: EventBus;
  log: Logger;
  /** True when the engine runs health checks itself (Docker); berth then reads its status. */
  engineRunsChecks: boolean;
  /** How often sessions are looked at, ms; default 1000. */
  tickMs?: number;
}

interface Watch {
  status: HealthStatus;
  streak: number;
  startedAt: number;
  nextCheckAt: number;
  lastCheckAt?: number;
  lastOutput?: string;
  checking?: boolean;
  restartAt?: number;
}

const MAX_BACKOFF_MS = 300_000;

/**
 * Health checks of sessions whose spec has one. On Docker the engine runs them and
 * berth reads the status; on Podman (no systemd timers here) berth runs the command
 * through exec, honouring interval, timeout, retries and start period. Changes are
 * stored and published; unhealthy raises an alert. With `restartOnUnhealthy`, the
 * container is restarted after a backoff that doubles, every restart recorded; past
 * `maxRestarts` the session is marked failed and its container removed.
 */
export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly o: HealthMonitorOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  tick(): Promise<void> {
    this.ticking ??= this.checkAll()
      .catch((err: unknown) => this.o.log.warn({ err }, 'health checks failed'))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  report(s: Session): HealthReport {
    const w = this.watches.get(s.id);
    return {
      sessionId: s.id,
      status: s.spec.healthcheck ? (w?.status ?? 'starting') : 'none',
      checkedBy: !s.spec.healthcheck ? 'none' : this.o.engineRunsChecks ? 'engine' : 'berth',
      failingStreak: w?.streak ?? 0,
      ...(w?.lastOutput !== undefined ? { lastOutput: w.lastOutput } : {}),
      ...(w?.lastCheckAt ? { lastCheckAt: new Date(w.lastCheckAt).toISOString() } : {}),
      policy: s.healthPolicy,
      restarts: this.o.health.restarts(s.id),
      changes: this.o.health.changes(s.id),
    };
  }

  private async checkAll(): Promise<void> {
    const ids0 = this.o.repo.runningOnEngine(true, bindingOf(this.o.engine.info));
    const sessions = ids0.length ? ids0.map((x) => this.o.repo.get(x.id)).filter((s): s is Session => s !== undefined) : [];
    const ids = new Set(sessions.map((s) => s.id));
    for (const id of this.watches.keys()) if (!ids.has(id)) this.watches.delete(id);
    await Promise.all(sessions.map((s) => this.checkOne(s).catch((err: unknown) => this.o.log.debug({ err, sessionId: s.id }, 'health check failed to run'))));
  }

  private async checkOne(s: Session): Promise<void> {
    const hc = s.spec.healthcheck!;
    const now = Date.now();
    let w = this.watches.get(s.id);
    if (!w) {
      w = { status: 'starting', streak: 0, startedAt: now, nextCheckAt: now + (hc.intervalMs ?? 30_000) };
      this.watches.set(s.id, w);
    }
    if (w.restartAt !== undefined) {
      if (now >= w.restartAt) await this.restart(s);
      return;
    }
    const id = s.containerId ?? s.containerName;
    if (this.o.engineRunsChecks) {
      const h = (await this.o.engine.inspectContainer(id)).State.Health;
      const log = h?.Log?.[h.Log.length - 1];
      w.streak = h?.FailingStreak ?? 0;
      if (log) (w.lastOutput = log.Output), (w.lastCheckAt = Date.parse(log.End));
      this.set(s, w, (h?.Status as HealthStatus | undefined) ?? 'starting');
      return;
    }
    if (w.checking || now < w.nextCheckAt) return;
    w.checking = true;
    try {
      const r = await runExec(this.o.engine, id, { cmd: hc.cmd, timeoutMs: hc.timeoutMs ?? 5000 }, this.o.log);
      w.lastCheckAt = Date.now();
      w.lastOutput = (r.stdout + r.stderr).slice(0, 4096);
      w.nextCheckAt = w.lastCheckAt + (hc.intervalMs ?? 30_000);
      if (r.exitCode === 0 && !r.timedOut) {
        w.streak = 0;
        this.set(s, w, 'healthy');
      } else if (w.lastCheckAt - w.startedAt >= (hc.startPeriodMs ?? 0) || w.status === 'healthy') {
        w.streak += 1;
        if (w.streak >= (hc.retries ?? 3)) this.set(s, w, 'unhealthy');
      }
    } finally {
      w.checking = false;
    }
  }

  private set(s: Session, w: Watch, status: HealthStatus): void {
    if (status === w.status) return;
    w.status = status;
    this.o.health.recordChange(s.id, status, w.lastOutput ?? '', Date.now());
    this.o.events.publish({ type: 'health', sessionId: s.id, data: { status, failingStreak: w.streak, output: w.lastOutput ?? '' } });
    this.o.log.info({ sessionId: s.id, status }, 'health changed');
    if (status === 'healthy') this.o.alerts.resolve(s.id, 'unhealthy');
    if (status !== 'unhealthy') return;
    this.o.alerts.raise(s.id, 'unhealthy', `health check failing ${w.streak} times: ${(w.lastOutput ?? '').trim().slice(0, 200)}`);
    if (!s.healthPolicy.restartOnUnhealthy) return;
    const done = this.o.health.restarts(s.id).length;
    const max = s.healthPolicy.maxRestarts ?? 3;
    if (done >= max) {
      void this.o.sessions
        .end(s, `unhealthy after ${done} restarts (maxRestarts ${max})`, 'failed')
        .catch((err: unknown) => this.o.log.warn({ err, sessionId: s.id }, 'could not stop an unhealthy session'));
      return;
    }
    w.restartAt = Date.now() + Math.min((s.healthPolicy.backoffMs ?? 1000) * 2 ** done, MAX_BACKOFF_MS);
  }

  private async restart(s: Session): Promise<void> {
    const attempt = this.o.health.restarts(s.id).length + 1;
    const reason = `unhealthy: restart ${attempt} of ${s.healthPolicy.maxRestarts ?? 3}`;
    this.o.health.recordRestart(s.id, attempt, reason, Date.now());
    this.watches.delete(s.id);
    await this.o.sessions.restart(s.id, reason);
    this.o.log.warn({ sessionId: s.id, attempt }, 'restarted an unhealthy session');
  }
}
