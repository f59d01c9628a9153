import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecOptions } from '../exec/exec-options.js';
import type { ExecStream } from '../exec/exec-stream.js';
import { collectExec, type ExecResult } from '../exec/run-exec.js';
import { openLocalShell } from '../interactive/local-shell.js';
import type { ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import type { LogStreams } from '../lifecycle/logs.js';
import type { Sandbox } from '../session/sandbox.js';
import { signalGroup } from '../common/process-tree.js';
import { startLocalExec } from './local-exec.js';

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
 */
export class LocalSandbox implements Sandbox {
  private readonly groups = new Set<number>();

  constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {}

  async unpause(): Promise<void> {}

  /** SIGTERM to every process group still alive, SIGKILL to those left after `graceSeconds` (default 10). */
  async stop(options: { graceSeconds?: number } = {}): Promise<void> {
    for (const g of this.groups) if (!alive(g)) this.groups.delete(g);
    if (!this.groups.size) return;
    for (const g of this.groups) signalGroup(g, 'SIGTERM');
    const deadline = Date.now() + (options.graceSeconds ?? 10) * 1000;
    while (Date.now() < deadline && [...this.groups].some(alive)) await new Promise((r) => setTimeout(r, 50));
    for (const g of this.groups) if (alive(g)) signalGroup(g, 'SIGKILL');
    this.groups.clear();
  }

  /** Stops every process group and deletes the directory. */
  async remove(): Promise<void> {
    await this.stop({ graceSeconds: 0 });
    await rm(this.dir, { recursive: true, force: true });
  }

  async execStream(options: ExecOptions): Promise<ExecStream> {
    const e = startLocalExec({ dir: this.dir, env: this.env }, options);
    if (e.pid) this.groups.add(e.pid);
    return e;
  }

  async exec(options: ExecOptions): Promise<ExecResult> {
    return collectExec(await this.execStream(options), options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  }

  /** A shell in a host pty; tracked like an exec, so stop and remove end it. */
  async openShell(options: ShellOptions): Promise<ShellStream> {
    const { stream, pid } = await openLocalShell(this.dir, this.env, options);
    this.groups.add(pid);
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
