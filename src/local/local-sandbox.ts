import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecOptions } from '../exec/exec-options.js';
import type { ExecStream } from '../exec/exec-stream.js';
import { collectExec, type ExecResult } from '../exec/run-exec.js';
import type { LogStreams } from '../lifecycle/logs.js';
import type { Sandbox } from '../session/sandbox.js';
import { startLocalExec, type LocalExec } from './local-exec.js';

/**
 * A session's sandbox on the local backend: a host directory and the commands running in
 * it. No isolation, no limits: for machines without an engine, for trusted work. There is
 * no main process, so stop ends the running commands and logs are empty.
 */
export class LocalSandbox implements Sandbox {
  private readonly running = new Set<LocalExec>();

  constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {}

  async unpause(): Promise<void> {}

  /** SIGTERM to every running command's process group, SIGKILL after `graceSeconds` (default 10). */
  async stop(options: { graceSeconds?: number } = {}): Promise<void> {
    const execs = [...this.running];
    if (!execs.length) return;
    for (const e of execs) e.signal('SIGTERM');
    const all = Promise.all(execs.map((e) => e.exit));
    const graceful = await Promise.race([all.then(() => true), sleep((options.graceSeconds ?? 10) * 1000).then(() => false)]);
    if (!graceful) for (const e of execs) e.signal('SIGKILL');
    await all;
  }

  /** Stops its commands and deletes its directory. */
  async remove(): Promise<void> {
    await this.stop({ graceSeconds: 0 });
    await rm(this.dir, { recursive: true, force: true });
  }

  async execStream(options: ExecOptions): Promise<ExecStream> {
    const e = startLocalExec({ dir: this.dir, env: this.env }, options);
    this.running.add(e);
    void e.exit.then(() => this.running.delete(e));
    return e;
  }

  async exec(options: ExecOptions): Promise<ExecResult> {
    return collectExec(await this.execStream(options), options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  }

  async logs(): Promise<LogStreams> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end();
    stderr.end();
    return { stdout, stderr, close: () => undefined };
  }
}
