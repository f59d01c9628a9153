import type { Logger } from '../common/logger.js';
import type { MonitorRepository, StoredAlert } from '../store/monitor-repository.js';
import type { AlertRules } from './alert-rules.js';
import type { EventBus } from './event-bus.js';
import type { ResourceSample } from './resource-sample.js';

interface Watch {
  /** unix ms the condition first held, while it holds. */
  since?: number;
  firing?: StoredAlert;
}

/**
 * Threshold-for-duration rules over samples. An alert fires once when its condition has
 * held for the rule's duration, and resolves once when it stops holding; both are
 * stored, logged and published. One-off alerts (OOM, unhealthy) go through `raise`.
 */
export class AlertManager {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly repo: MonitorRepository,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {
    for (const a of repo.alerts({ state: 'firing', limit: 100_000 })) this.watches.set(`${a.sessionId}/${a.rule}`, { firing: a });
  }

  evaluate(sample: ResourceSample, rules: AlertRules, now = Date.parse(sample.at)): void {
    this.check(sample.sessionId, 'cpu', sample.cpuPercent > rules.cpuPercent, rules.cpuForMs, rules.cpuPercent, sample.cpuPercent, now, `CPU ${sample.cpuPercent}% > ${rules.cpuPercent}% for ${rules.cpuForMs / 1000} s`);
    if (sample.memoryLimitBytes > 0) {
      this.check(sample.sessionId, 'memory', sample.memoryPercent > rules.memoryPercent, rules.memoryForMs, rules.memoryPercent, sample.memoryPercent, now, `memory ${sample.memoryPercent}% of the limit > ${rules.memoryPercent}% for ${rules.memoryForMs / 1000} s`);
    }
  }

  /** A one-off alert (OOM kill, unhealthy): fired and stored now, resolved with `resolve`. */
  raise(sessionId: string, rule: string, message: string, now = Date.now()): StoredAlert {
    const key = `${sessionId}/${rule}`;
    const w = this.watches.get(key);
    if (w?.firing) return w.firing;
    const a = this.repo.fireAlert({ sessionId, rule, message, at: now });
    this.watches.set(key, { firing: a });
    this.log.warn({ sessionId, rule, alertId: a.id }, `alert: ${message}`);
    this.bus.publish({ type: 'alert.fired', sessionId, data: { ...a } });
    return a;
  }

  resolve(sessionId: string, rule: string, now = Date.now()): void {
    const key = `${sessionId}/${rule}`;
    const w = this.watches.get(key);
    if (!w?.firing) return;
    const a = this.repo.resolveAlert(w.firing.id, now);
    this.watches.delete(key);
    this.log.info({ sessionId, rule, alertId: w.firing.id }, 'alert resolved');
    this.bus.publish({ type: 'alert.resolved', sessionId, data: { ...(a ?? w.firing) } });
  }

  /** Resolves every alert of a session that ended. */
  forget(sessionId: string, now = Date.now()): void {
    for (const key of [...this.watches.keys()]) if (key.startsWith(`${sessionId}/`)) this.resolve(sessionId, key.slice(sessionId.length + 1), now);
  }

  private check(sessionId: string, rule: string, holds: boolean, forMs: number, threshold: number, value: number, now: number, message: string): void {
    const key = `${sessionId}/${rule}`;
    const w = this.watches.get(key) ?? {};
    if (!holds) {
      if (w.firing) this.resolve(sessionId, rule, now);
      else this.watches.delete(key);
      return;
    }
    w.since ??= now;
    this.watches.set(key, w);
    if (w.firing || now - w.since < forMs) return;
    w.firing = this.repo.fireAlert({ sessionId, rule, threshold, value, message, at: now });
    this.log.warn({ sessionId, rule, value, threshold, alertId: w.firing.id }, `alert: ${message}`);
    this.bus.publish({ type: 'alert.fired', sessionId, data: { ...w.firing } });
  }
}
