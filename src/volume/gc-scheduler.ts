import type { Logger } from '../common/logger.js';
import type { GcResult } from './volumes-api.js';

export interface GcSchedulerOptions {
  /** Runs gc (applies the cleanup policy). */
  gc: () => Promise<GcResult>;
  /** ms between runs; 0 turns the scheduler off. */
  intervalMs: number;
  log: Logger;
}

/** Runs volume gc every `intervalMs` (one run at a time) and logs what it removed. */
export class GcScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: GcSchedulerOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One run now, unless one is under way (then that one). */
  runOnce(): Promise<void> {
    this.running ??= this.o
      .gc()
      .then((r) => {
        const removed = r.entries.filter((e) => e.removed);
        if (removed.length) this.o.log.info({ removed: removed.map((e) => ({ volume: e.name, reason: e.reason, sizeBytes: e.sizeBytes })) }, `volume gc removed ${removed.length} volume(s)`);
        const failed = r.entries.filter((e) => e.error);
        if (failed.length) this.o.log.warn({ failed: failed.map((e) => ({ volume: e.name, error: e.error })) }, 'volume gc could not remove some volumes');
      })
      .catch((err: unknown) => this.o.log.warn({ err }, 'volume gc failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
