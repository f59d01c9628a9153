import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { Logger } from '../common/logger.js';

/** A container id (64 hex digits) in a memory cgroup path: `/docker/<id>`, `/libpod_parent/libpod-<id>`, `...-<id>.scope`. */
const CGROUP_ID = /oom_memcg=[^,\s]*?([0-9a-f]{64})/;

/**
 * The kernel's own record of OOM kills (`/dev/kmsg`, root only), for engines whose
 * inspect does not set `OOMKilled` (Podman 4.3 with cgroup v1 here). Read without
 * blocking: drained every `pollMs` and on demand, never holding a libuv thread.
 * Disabled quietly where the log cannot be read.
 */
export class KernelOomLog {
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly killed = new Map<string, number>();
  private readonly buf = Buffer.alloc(8192);

  constructor(private readonly log: Logger, private readonly pollMs = 2000) {}

  start(): void {
    try {
      this.fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'kernel log not readable: OOM kills are known from the engine only');
      return;
    }
    this.drain();
    this.timer = setInterval(() => this.drain(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** True when the kernel logged an OOM kill in this container's memory cgroup. */
  wasOomKilled(containerId: string): boolean {
    this.drain();
    return this.killed.has(containerId);
  }

  /** Reads every record waiting; one read returns one record. */
  private drain(): void {
    if (this.fd === undefined) return;
    for (let i = 0; i < 10_000; i++) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // records were overwritten before we read them
        return; // EAGAIN: nothing more for now
      }
      if (n <= 0) return;
      const line = this.buf.toString('utf8', 0, n);
      if (!line.includes('oom-kill:')) continue;
      const m = CGROUP_ID.exec(line);
      if (m?.[1]) {
        this.killed.set(m[1], Date.now());
        if (this.killed.size > 10_000) this.killed.delete(this.killed.keys().next().value as string);
      }
    }
  }
}
