import type { Readable } from 'node:stream';
import type { ExecOptions } from '../exec/exec-options.js';
import type { ExecStream } from '../exec/exec-stream.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { CopyResult, CopyToHostOptions } from '../files/host-copy.js';
import type { FileEntry, FileToWrite, FileType } from '../files/file-entry.js';
import type { LogsOptions, LogStreams } from '../lifecycle/logs.js';

/** Where a session runs: a container on the engine, or a host directory (the local backend). */
export type Backend = 'engine' | 'local';

/**
 * What a session needs of the thing it runs in. A `Container` is one; `LocalSandbox`
 * (a host directory, no isolation) is the other.
 */
export interface Sandbox {
  start(): Promise<unknown>;
  /** Throws what `start` would refuse before it asks the engine (the mount re-check), without starting; absent: nothing to check. */
  assertStartable?(): Promise<void>;
  /** Stops its processes: SIGTERM, then SIGKILL after `graceSeconds` (default 10). */
  stop(options?: { graceSeconds?: number }): Promise<unknown>;
  unpause(): Promise<unknown>;
  /** Stops it and deletes it with everything in it. */
  remove(options?: { force?: boolean; volumes?: boolean }): Promise<unknown>;
  exec(options: ExecOptions): Promise<ExecResult>;
  execStream(options: ExecOptions): Promise<ExecStream>;
  logs(options?: LogsOptions): Promise<LogStreams>;
}

/**
 * File operations on one sandbox, found by `id` (a container id, or a local sandbox's
 * directory). Paths are absolute and already checked against the session's base dir.
 */
export interface SandboxFiles {
  stat(id: string, path: string): Promise<FileEntry>;
  /** `mkdir -p`. */
  mkdirp(id: string, dir: string): Promise<void>;
  writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }>;
  readFile(id: string, path: string, maxBytes: number): Promise<Buffer>;
  list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]>;
  /** A directory only with `recursive` (else `Conflict`); `NotFound` when missing. */
  remove(id: string, path: string, recursive: boolean): Promise<void>;
  /** A tar of `path`: a directory (entries start with its own name) or one file. */
  exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }>;
  /** Extracts a tar stream into `dir` (created first). */
  importArchive(id: string, dir: string, archive: Readable): Promise<void>;
  /**
   * Copies `path` out to the host by docker cp's rules (see copyToHost). Bytes: a file's
   * content, else the archive's.
   */
  copyOut(id: string, path: string, hostPath: string, options?: CopyToHostOptions): Promise<CopyResult>;
}
