import { EventEmitter } from 'node:events';

export type BerthEventType = 'session.state' | 'session.oom' | 'alert.fired' | 'alert.resolved' | 'health';

/** Something that happened, for `GET /v1/events` and `berth events`. */
export interface BerthEvent {
  type: BerthEventType;
  sessionId: string;
  /** ISO time. */
  at: string;
  /** What the event is about (the alert, the new state, the health status, ...). */
  data: Record<string, unknown>;
}

/** The daemon's event stream: one emitter, many listeners (SSE clients, logs). */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(e: Omit<BerthEvent, 'at'> & { at?: string }): void {
    this.emitter.emit('event', { ...e, at: e.at ?? new Date().toISOString() });
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (e: BerthEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  get listeners(): number {
    return this.emitter.listenerCount('event');
  }
}
