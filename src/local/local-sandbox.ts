import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecOptions } from '../exec/exec-options.js';
import type { ExecStream } from '../exec/exec-stream.js';
import { collectExec, type ExecResult } from '../exec/run-exec.js';
import { openLocalShell } from '../interactive/local-shell.js';
import type { ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import type { LogStreams } from '../lifecycle/logs.js';
import type { Sandbox } from '../session/sandbox.js';
import { randomId } from '../common/ids.js';
import { sameGroup, signalGroup, startTimeOf } from '../common/process-tree.js';
import { EXEC_MARKER_ENV } from '../exec/exec-options.js';
import type { LocalGroupRecord } from '../store/local-group-repository.js';
import { startLocalExec } from './local-exec.js';

/** Where a sandbox's process groups are kept beyond this process (the store); absent: memory only. */
export interface LocalGroupStore {
  add(dir: string, g: LocalGroupRecord, now: number): void;
  list(dir: string): LocalGroupRecord[];
  remove(dir: string, pgid: number): void;
}

const alive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A session's sandbox on the local backend: a host directory and the process groups
 * started in it (execs and shells; a group outlives its first process while children
 * run). No isolation, no limits: for machines without an engine, for trusted work. There
 * is no main process, so stop ends every group and logs are empty.
 * Groups are recorded in `store` (with the marker in their environment), so a daemon
 * restarted later still stops them; a group is signalled only while one of its members
 * carries its marker (a reused pgid is left alone).
 */
export class LocalSandbox implements Sandbox {
  private readonly groups = new Map<number, LocalGroupRecord>();

  constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
    private readonly store?: LocalGroupStore,
  ) {}

  async start(): Promise<void> {}

  async unpause(): Promise<void> {}

  /** SIGTERM to every process group still alive, SIGKILL to those left after `graceSeconds` (default 10). */
  async stop(options: { graceSeconds?: number } = {}): Promise<void> {
    for (const g of this.store?.list(this.dir) ?? []) if (!this.groups.has(g.pgid)) this.groups.set(g.pgid, g);
    const ours = [...this.groups.values()].filter((g) => alive(g.pgid) && sameGroup(g.pgid, g.leaderStart, EXEC_MARKER_ENV, g.marker)).map((g) => g.pgid);
    for (const g of ours) signalGroup(g, 'SIGTERM');
    const deadline = Date.now() + (options.graceSeconds ?? 10) * 1000;
    while (Date.now() < deadline && ours.some(alive)) await new Promise((r) => setTimeout(r, 50));
    for (const g of ours) if (alive(g)) signalGroup(g, 'SIGKILL');
    for (const g of this.groups.keys()) this.store?.remove(this.dir, g);
    this.groups.clear();
  }

  private track(pgid: number | undefined, marker: string, exit: Promise<unknown>): void {
    if (!pgid) return;
    const leaderStart = startTimeOf(pgid);
    const g: LocalGroupRecord = { pgid, marker, ...(leaderStart !== undefined ? { leaderStart } : {}) };
    this.groups.set(pgid, g);
    this.store?.add(this.dir, g, Date.now());
    void exit.then(() => {
      if (alive(pgid) || this.groups.get(pgid) !== g) return;
      this.groups.delete(pgid);
      this.store?.remove(this.dir, pgid);
    });
  }

  /** Stops every process group and deletes the directory. */
  async remove(): Promise<void> {
    await this.stop({ graceSeconds: 0 });
    await rm(this.dir, { recursive: true, force: true });
  }

  async execStream(options: ExecOptions): Promise<ExecStream> {
    const e = startLocalExec({ dir: this.dir, env: this.env }, options);
    this.track(e.pid, e.marker, e.exit);
    return e;
  }

  async exec(options: ExecOptions): Promise<ExecResult> {
    return collectExec(await this.execStream(options), options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  }

  /** A shell in a host pty; tracked like an exec, so stop and remove end it. */
  async openShell(options: ShellOptions): Promise<ShellStream> {
    const marker = randomId(8);
    const { stream, pid } = await openLocalShell(this.dir, { ...this.env, [EXEC_MARKER_ENV]: marker }, options);
    this.track(pid, marker, stream.exit);
    return stream;
  }

  async logs(): Promise<LogStreams> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end();
    stderr.end();
    return { stdout, stderr, close: () => undefined };
  }
}
