import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { eventExitCode, normaliseEventAction } from '../engine/quirks.js';
import type { SessionManager } from './session-manager.js';

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export interface EventsWatcherDeps {
  engine: Engine;
  sessions: SessionManager;
  instance: string;
  log: Logger;
  /** Called after the stream is re-established (the engine may have restarted). */
  onReconnect: () => Promise<void>;
  /** First retry delay in ms (doubles up to 10 s); default 250. */
  retryMs?: number;
  /** Called when a session's container was OOM-killed (confirmed by inspect, or by `oomEvidence`, whose count `kills` is when known). */
  onOom?: (sessionId: string, containerId: string, kills?: number) => void;
  /** OOM kills seen in the container's cgroup, for engines whose inspect does not say. */
  oomEvidence?: (containerId: string) => Promise<number | undefined>;
}

/**
 * Follows the engine's container events for this instance and moves sessions:
 * `die` → stopped, `destroy` → lost, `oom` → recorded. When the stream ends it
 * reconnects with backoff and asks for a reconcile.
 */
export class EventsWatcher {
  private stream: Readable | undefined;
  private lines: Interface | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Times the stream was (re)established; for tests and `info`. */
  connections = 0;

  constructor(private readonly d: EventsWatcherDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let delay = this.d.retryMs ?? 250;
    while (!this.closed) {
      try {
        const since = Math.floor(Date.now() / 1000);
        this.stream = await this.d.engine.events({ labels: [`${LABELS.instance}=${this.d.instance}`], since, signal: this.abort.signal });
        // Closed while the stream was being opened (a start that failed right after): nothing destroys it but us.
        if (this.closed) {
          this.stream.destroy();
          break;
        }
        this.connections += 1;
        if (this.connections > 1) await this.d.onReconnect();
        delay = this.d.retryMs ?? 250;
        this.lines = createInterface({ input: this.stream, crlfDelay: Infinity });
        this.stream.once('close', () => this.lines?.close());
        for await (const line of this.lines) {
          if (line.trim()) this.handle(line);
        }
      } catch (err) {
        if (this.closed) break;
        this.d.log.warn({ err: (err as Error).message }, 'engine events stream failed');
      }
      if (this.closed) break;
      this.d.log.warn({ retryInMs: delay }, 'engine events stream ended; reconnecting');
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private handle(line: string): void {
    let ev: EngineEvent;
    try {
      ev = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const attrs = ev.Actor?.Attributes ?? {};
    const sid = attrs[LABELS.session];
    if (!sid) return;
    const action = normaliseEventAction(ev.Action ?? ev.status ?? '');
    if (action === 'die') {
      const code = eventExitCode(attrs);
      this.d.sessions.observe(sid, 'stopped', `container exited${code === undefined ? '' : ` with code ${code}`}`, ['running', 'paused']);
      if (code === 137 && ev.Actor?.ID) this.confirmOomLater(sid, ev.Actor.ID);
      if (attrs[LABELS.removeOnExit] === 'true') this.removeOnExit(sid);
    } else if (action === 'destroy' || action === 'remove') {
      this.d.sessions.observe(sid, 'lost', 'its container was removed outside berth', ['running', 'paused', 'stopped']);
    } else if (action === 'oom') {
      this.d.log.warn({ sessionId: sid }, 'container ran out of memory');
      if (ev.Actor?.ID) this.confirmOomLater(sid, ev.Actor.ID);
    }
  }

  /** `berth run --rm`: the main process exited, so the session ends. */
  private removeOnExit(sessionId: string): void {
    const end = async () => {
      // A one-shot command can exit before its creation has finished; ending it then would
      // pull the container from under the create (up to 30 s of waiting, in 50 ms steps).
      for (let i = 0; i < 600 && this.d.sessions.isBeingCreated(sessionId); i++) await sleep(50);
      const s = await this.d.sessions.get(sessionId);
      await this.d.sessions.end(s, 'its main process exited (remove on exit)');
    };
    end().catch((err: unknown) => this.d.log.warn({ err, sessionId }, 'could not end a remove-on-exit session'));
  }

  private confirmOomLater(sessionId: string, containerId: string): void {
    this.confirmOom(sessionId, containerId).catch((err: unknown) => this.d.log.warn({ err, sessionId }, 'could not confirm an OOM kill'));
  }

  /** An `oom` event, or exit 137, confirmed by inspect (`OOMKilled`); reported once per container. */
  private readonly oomReported = new Set<string>();
  private async confirmOom(sessionId: string, containerId: string): Promise<void> {
    if (this.oomReported.has(containerId)) return;
    const [kills, st] = await Promise.all([
      this.d.oomEvidence?.(containerId).catch(() => undefined),
      this.d.engine.inspectContainer(containerId).catch(() => undefined),
    ]);
    if (!(st?.State.OOMKilled || (kills ?? 0) > 0) || this.oomReported.has(containerId)) return;
    this.oomReported.add(containerId);
    this.d.onOom?.(sessionId, containerId, kills);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.lines?.close();
    this.stream?.destroy();
    await this.loop?.catch(() => undefined);
  }
}
