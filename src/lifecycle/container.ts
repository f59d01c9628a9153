import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import type { ExecOptions } from '../exec/exec-options.js';
import { startExec, type ExecStream } from '../exec/exec-stream.js';
import { runExec, type ExecResult } from '../exec/run-exec.js';
import { stateFromInspect, type ContainerState } from './container-state.js';
import { readLogs, streamLogs, type LogsOptions, type LogsResult, type LogStreams } from './logs.js';

export interface StopOptions {
  /** Seconds between SIGTERM and SIGKILL; default 10. */
  graceSeconds?: number;
}
export interface StopResult {
  /** False when it was already stopped (not an error). */
  wasRunning: boolean;
}
export interface StartResult {
  /** False when it was already running (not an error). */
  wasStopped: boolean;
}
export interface KillOptions {
  /** Default `SIGKILL`. */
  signal?: string;
}
export interface RemoveOptions {
  /** Kill it first when running; default false (removing a running container is `Conflict`). */
  force?: boolean;
  /** Also remove its anonymous volumes; default true. */
  volumes?: boolean;
}
export interface RemoveResult {
  /** False when it did not exist (not an error). */
  removed: boolean;
}
export interface WaitResult {
  exitCode: number;
}

/** A handle on one container. Cheap: it holds ids, not state; `inspect()` reads the state. */
export class Container {
  readonly id: string;
  readonly name: string;
  private readonly engine: Engine;
  private readonly tty: boolean;
  private readonly log: Logger;
  private readonly beforeStart: () => Promise<void>;

  /** `beforeStart` runs before every start and restart (the mount re-check); a throw stops it. */
  constructor(engine: Engine, ref: { id: string; name: string; tty: boolean }, log: Logger, beforeStart: () => Promise<void> = async () => undefined) {
    this.engine = engine;
    this.beforeStart = beforeStart;
    this.id = ref.id;
    this.name = ref.name;
    this.tty = ref.tty;
    this.log = log.child({ containerId: ref.id.slice(0, 12) });
  }

  /** Throws what `start` would refuse (the mount re-check) without starting it. */
  async assertStartable(): Promise<void> {
    await this.beforeStart();
  }

  /** Starts it. Starting a running container is not an error; a removed one is `NotFound`. */
  async start(): Promise<StartResult> {
    await this.beforeStart();
    const r = await this.engine.startContainer(this.id);
    return { wasStopped: r.changed };
  }

  /** SIGTERM, then SIGKILL after the grace period. Stopping a stopped or removed container is not an error. */
  async stop(options: StopOptions = {}): Promise<StopResult> {
    try {
      const r = await this.engine.stopContainer(this.id, options.graceSeconds ?? 10);
      return { wasRunning: r.changed };
    } catch (err) {
      if (BerthError.is(err, 'NotFound')) return { wasRunning: false };
      throw err;
    }
  }

  async kill(options: KillOptions = {}): Promise<void> {
    await this.engine.killContainer(this.id, options.signal ?? 'SIGKILL');
  }

  async restart(options: StopOptions = {}): Promise<void> {
    await this.beforeStart();
    await this.engine.restartContainer(this.id, options.graceSeconds ?? 10);
  }

  async pause(): Promise<void> {
    await this.engine.pauseContainer(this.id);
  }

  async unpause(): Promise<void> {
    await this.engine.unpauseContainer(this.id);
  }

  /** Removes it. Removing a removed container is not an error (`removed: false`). */
  async remove(options: RemoveOptions = {}): Promise<RemoveResult> {
    const r = await this.engine.removeContainer(this.id, { force: options.force ?? false, volumes: options.volumes ?? true });
    if (r.removed) this.log.debug('container removed');
    return r;
  }

  async inspect(): Promise<ContainerState> {
    return stateFromInspect(await this.engine.inspectContainer(this.id));
  }

  /** Waits until it is not running and returns the exit code. */
  async wait(): Promise<WaitResult> {
    return this.engine.waitContainer(this.id);
  }

  /** Logs as two streams (stdout and stderr apart); `follow` keeps them open. */
  async logs(options: LogsOptions = {}): Promise<LogStreams> {
    return streamLogs(this.engine, this.id, this.tty, options);
  }

  /** Logs so far, as text. */
  async readLogs(options: Omit<LogsOptions, 'follow'> = {}): Promise<LogsResult> {
    return readLogs(this.engine, this.id, this.tty, options);
  }

  /** Runs a command to completion. Exec in a stopped container is `Conflict`. */
  async exec(options: ExecOptions): Promise<ExecResult> {
    return runExec(this.engine, this.id, options, this.log);
  }

  /** Starts a command and returns its streams and an exit promise. */
  async execStream(options: ExecOptions): Promise<ExecStream> {
    return startExec(this.engine, this.id, options, this.log);
  }
}
