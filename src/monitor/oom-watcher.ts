import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { bindingOf } from '../session/engine-binding.js';
import type { SessionRepository } from '../store/session-repository.js';
import { CgroupReader, type CgroupPaths } from './cgroup-reader.js';

export interface OomWatcherOptions {
  engine: Engine;
  sessions: SessionRepository;
  log: Logger;
  /** Told of each new OOM kill count of a session's cgroup (`kills`: the cgroup's total so far). */
  onOom: (sessionId: string, containerId: string, kills: number) => void;
  /** Between reads of the counters, ms; default 500. */
  pollMs?: number;
  reader?: CgroupReader;
}

interface Watched {
  paths: CgroupPaths | undefined;
  /** Kills already known (reported, or there before berth watched). */
  known: number;
}

/**
 * Finds OOM kills of any process of a running session, not only of its PID 1 (which the
 * engines report by event when it dies; Podman does not report the others at all): reads
 * each running session's cgroup OOM kill counter (`memory.oom_control` on v1,
 * `memory.events` on v2) every `pollMs` and reports every increase. Kills counted before
 * the daemon started are not news; a session first seen later starts from zero.
 * A read that is still running when the next is due is not doubled.
 */
export class OomWatcher {
  private readonly watched = new Map<string, Watched>();
  private readonly reader: CgroupReader;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private primed = false;

  constructor(private readonly o: OomWatcherOptions) {
    this.reader = o.reader ?? new CgroupReader();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.o.pollMs ?? 500);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One read of every running session's counter now (or the one in progress). */
  tick(): Promise<void> {
    this.running ??= this.readAll()
      .catch((err: unknown) => this.o.log.warn({ err }, 'OOM counters could not be read'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async readAll(): Promise<void> {
    const sessions = this.o.sessions.runningOnEngine(false, bindingOf(this.o.engine.info));
    const live = new Set(sessions.map((s) => s.containerRef));
    for (const id of this.watched.keys()) if (!live.has(id)) this.watched.delete(id);
    for (const s of sessions) {
      let w = this.watched.get(s.containerRef);
      if (!w) {
        const pid = await this.o.engine.inspectContainer(s.containerRef).then((c) => c.State.Pid ?? 0, () => 0);
        const paths = await this.reader.locate(pid);
        w = { paths, known: this.primed ? 0 : (paths ? (this.reader.oomKills(paths) ?? 0) : 0) };
        this.watched.set(s.containerRef, w);
      }
      const kills = w.paths ? this.reader.oomKills(w.paths) : undefined;
      if (kills === undefined || kills <= w.known) continue;
      w.known = kills;
      this.o.onOom(s.id, s.containerRef, kills);
    }
    this.primed = true;
  }
}
