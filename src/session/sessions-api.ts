import type { Trust } from '../security/trust.js';
import type { Readable } from 'node:stream';
import type { ExecExit } from '../exec/exec-stream.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { AttachOptions, ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import type { CreateSessionRequest } from './create-request.js';
import type { ExecDefaults, ExecRecord, Session, SessionEvent, SessionState } from './session.js';

export interface ListSessionsRequest {
  /** Only these states; default every state but ended/failed/lost (see `all`). */
  state?: SessionState | SessionState[];
  /** Include ended, failed and lost sessions; default false. */
  all?: boolean;
  name?: string;
  labels?: Record<string, string>;
  /** Default 1000. */
  limit?: number;
}

/** Exec through a session. Unlike container exec, stdin is data (it may cross the daemon's socket). */
export interface SessionExecOptions {
  cmd: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  stdin?: string | Buffer;
  /** Default: none. */
  timeoutMs?: number;
  /** Bytes kept of each stream; default 32 MiB. */
  maxOutputBytes?: number;
}

/** Options of a streamed exec. */
export interface SessionExecStreamOptions extends SessionExecOptions {
  /**
   * Through the daemon: keep the command running when this client hangs up (its output
   * is then dropped). Default false: a hang-up (ctrl-C on `berth exec`) kills the command
   * and its children. In-process it changes nothing.
   */
  detach?: boolean;
}

export interface SessionExecStream {
  stdout: Readable;
  stderr: Readable;
  exit: Promise<ExecExit>;
  /** Kills the command and its children now (through the daemon: hangs up, unless detached). */
  kill(): Promise<void>;
}

export interface SessionLogsOptions {
  follow?: boolean;
  tail?: number;
}

export interface SessionLogs {
  stdout: Readable;
  stderr: Readable;
  close(): void;
}

export interface PruneSessionsOptions {
  /** Only records that ended at or before this time (ISO 8601); default: every ended record. */
  until?: string;
}

export interface PruneSessionsResult {
  /** Ids of the records deleted. */
  removed: string[];
}

export interface StopSessionOptions {
  /** Seconds between SIGTERM and SIGKILL; default 10. */
  graceSeconds?: number;
}

/** How a session is asked for, beside what is asked. */
export interface CreateSessionOptions {
  /** Who asks; default `operator`. Through the daemon, the listener and the client's `x-berth-trust` header decide, never the body. */
  trust?: Trust;
}

/**
 * Sessions, the same interface in-process (`Berth.sessions`) and through the daemon
 * (`BerthClient.sessions`). Sessions are found by id or by name.
 */
export interface SessionsApi {
  /** `options.trust` `untrusted` (MCP, workflows): bind mounts are default-deny (see `MountPolicy.untrustedRoots`). */
  create(request: CreateSessionRequest, options?: CreateSessionOptions): Promise<Session>;
  list(request?: ListSessionsRequest): Promise<Session[]>;
  get(idOrName: string): Promise<Session>;
  stop(idOrName: string, options?: StopSessionOptions): Promise<Session>;
  start(idOrName: string): Promise<Session>;
  /** Ends the session: its container is stopped and removed; the record stays, `ended`. */
  remove(idOrName: string): Promise<Session>;
  /** Deletes the records of ended, failed and lost sessions (their containers are already gone). */
  prune(options?: PruneSessionsOptions): Promise<PruneSessionsResult>;
  exec(idOrName: string, options: SessionExecOptions): Promise<ExecResult>;
  execStream(idOrName: string, options: SessionExecStreamOptions): Promise<SessionExecStream>;
  logs(idOrName: string, options?: SessionLogsOptions): Promise<SessionLogs>;
  /** A new session from a snapshot of this one's filesystem, same spec, env, workdir and limits. */
  fork(idOrName: string, options?: { name?: string; trust?: Trust }): Promise<Session>;
  /** Defaults for later execs, persisted: `workdir`, and `env` merged over the current ones. */
  setDefaults(idOrName: string, defaults: ExecDefaults): Promise<Session>;
  /**
   * An interactive shell in a running session (a TTY; default `/bin/bash`, else `/bin/sh`,
   * in the exec defaults' workdir or the base dir). Several at once are independent.
   */
  openShell(idOrName: string, options?: ShellOptions): Promise<ShellStream>;
  /** The main process's terminal, for a session created with `spec: { tty: true }` (engine only). */
  attach(idOrName: string, options?: AttachOptions): Promise<ShellStream>;
  events(idOrName: string): Promise<SessionEvent[]>;
  history(idOrName: string): Promise<ExecRecord[]>;
}
