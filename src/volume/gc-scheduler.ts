import type { Logger } from '../common/logger.js';
import type { GcResult } from './volumes-api.js';

export interface GcSchedulerOptions {
  /** Runs gc (applies the cleanup policy). */
  gc: () => Promise<GcResult>;
  /** ms between runs; 0 turns the scheduler off. */
  intervalMs: number;
  log: Logger;
}

/** Runs volume gc every `intervalMs`, one run at a time (gc itself logs what it removed and what it could not). */
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
      .then(() => undefined)
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
