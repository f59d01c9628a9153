import type { OpMetrics } from '../store/op-metrics-repository.js';
import type { FileEntry, FileToWrite } from './file-entry.js';
import type { CopyResult } from './host-copy.js';
import type { SafeExtractResult } from './safe-extract.js';

/** Default cap of `readFile`: 64 MiB. */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;
/** Cap on the bytes one `writeFile`/`writeFiles` call takes: 64 MiB (use importDirectory beyond). */
export const MAX_WRITE_BYTES = 64 * 1024 * 1024;

export interface WriteResult {
  files: number;
  bytes: number;
}

export interface ImportResult {
  /** Bytes of the archive sent. */
  bytes: number;
}

/**
 * A session's filesystem, the same interface in-process (`Berth.files`) and through the
 * daemon (`BerthClient.files`). Relative paths resolve against the session's base dir;
 * with `confine` (the default) anything outside it is `PolicyDenied`.
 */
export interface FilesApi {
  writeFile(session: string, path: string, content: string | Buffer, options?: { mode?: number }): Promise<WriteResult>;
  /** All files in one tar archive: one engine call, not one per file. */
  writeFiles(session: string, files: FileToWrite[]): Promise<WriteResult>;
  /** `InvalidArgument` when the file is larger than `maxBytes` (default 64 MiB). */
  readFile(session: string, path: string, options?: { maxBytes?: number }): Promise<Buffer>;
  /** A directory needs `recursive: true` (else `Conflict`). */
  deleteFile(session: string, path: string, options?: { recursive?: boolean }): Promise<void>;
  listDirectory(session: string, path: string, options?: { recursive?: boolean }): Promise<FileEntry[]>;
  stat(session: string, path: string): Promise<FileEntry>;
  /** `mkdir -p`. */
  mkdir(session: string, path: string): Promise<void>;
  /** Copies a directory out to the host, streaming; refuses entries that would escape `hostDir`. */
  exportDirectory(session: string, containerDir: string, hostDir: string): Promise<SafeExtractResult>;
  /** Copies a host directory in (its current state), streaming. */
  importDirectory(session: string, hostDir: string, containerDir: string): Promise<ImportResult>;
  /**
   * `docker cp SESSION:containerPath hostPath`, by docker cp's rules (trailing `/` and `SRC/.`
   * included; see cp-rules.ts). Streams. `signal` cancels it: no temporary file is left.
   */
  copyOut(session: string, containerPath: string, hostPath: string, options?: { signal?: AbortSignal }): Promise<CopyResult>;
  /** `docker cp hostPath SESSION:containerPath`, by docker cp's rules. Streams. */
  copyIn(session: string, hostPath: string, containerPath: string): Promise<CopyResult>;
  /** Count, success, failure, fallback and average duration per operation kind. */
  metrics(): Promise<OpMetrics[]>;
}
