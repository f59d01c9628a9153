import type { Readable } from 'node:stream';

/** A process started with `detach: true`, kept by the session's agent. */
export interface DetachedProcess {
  /** Handle: `p<number>`. */
  id: string;
  /** pid in the container. */
  pid: number;
  /** argv joined with spaces, cut at 200 bytes. */
  cmd: string;
  running: boolean;
  /** Once ended: the exit code (128+N when killed by signal N; 127/126 when it could not start). */
  exitCode?: number;
  /** True for a shell held by the agent (a terminal). */
  terminal: boolean;
}

export interface StartProcessOptions {
  cmd: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  /** Keep its stdin open for `input` (default false: stdin is /dev/null). */
  stdin?: boolean;
}

export interface ProcessOutput {
  /** What it wrote while nobody listened (the last 1 MiB), then live output until it ends. */
  stdout: Readable;
  stderr: Readable;
  /** The process once ended; rejects when the agent goes away first. */
  exit: Promise<DetachedProcess>;
  /** Stops following; the process runs on. */
  close(): void;
}

/**
 * Processes you can leave and come back to, held by the session's agent (engine sessions
 * with a connected agent; else `Conflict`). They outlive the daemon: after a restart the
 * agent reconnects and `list` finds them again.
 */
export interface ProcessesApi {
  start(session: string, options: StartProcessOptions): Promise<DetachedProcess>;
  /** Running ones, and ended ones not yet waited for. */
  list(session: string): Promise<DetachedProcess[]>;
  /** Waits until it ends (`Timeout` after `timeoutMs`), then forgets it. */
  wait(session: string, id: string, options?: { timeoutMs?: number }): Promise<DetachedProcess>;
  /** Signals its process group; `signal` a name (`TERM`, `SIGKILL`) or number; default TERM. */
  signal(session: string, id: string, signal?: string | number): Promise<void>;
  /** Writes to its stdin; `eof` closes stdin after. */
  input(session: string, id: string, data: string | Buffer, options?: { eof?: boolean }): Promise<void>;
  /** Reattaches to its output. One follower at a time: a new one ends the previous. */
  output(session: string, id: string): Promise<ProcessOutput>;
}
