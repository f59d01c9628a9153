export type FileType = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of a listing or a stat. */
export interface FileEntry {
  name: string;
  /** Absolute path in the sandbox. */
  path: string;
  type: FileType;
  /** Bytes (0 for directories). */
  size: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  /** ISO time. */
  mtime: string;
  /** For symlinks. */
  linkTarget?: string;
}

/** A file to write: content as text (UTF-8) or bytes. */
export interface FileToWrite {
  path: string;
  content: string | Buffer;
  /** Permission bits; default 0o644. */
  mode?: number;
}

/** Go's os.FileMode type bits, as the engine's archive stat reports them. */
const bit = (mode: number, n: number) => ((mode >>> n) & 1) === 1;

export function typeFromGoMode(mode: number): FileType {
  if (bit(mode, 31)) return 'directory';
  if (bit(mode, 27)) return 'symlink';
  // device, named pipe, socket, char device, irregular
  if (bit(mode, 26) || bit(mode, 25) || bit(mode, 24) || bit(mode, 21) || bit(mode, 19)) return 'other';
  return 'file';
}
