import { constants, existsSync } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** On Linux a path under `/proc/self/fd/N/` names a child of the directory open as fd N: `openat` in Node. */
const PROC_FD = existsSync('/proc/self/fd');

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Thrown when a path component is not a directory (a symlink, a file, a device): never followed. */
export class NotADirectory extends Error {
  constructor(readonly component: string) {
    super(`${component} is not a directory (a symlink is never followed)`);
  }
}

/**
 * A directory held open by its file descriptor. Its children are named through the fd
 * (`/proc/self/fd/N/name` on Linux), so renaming or replacing any ancestor with a symlink
 * cannot redirect them; each child directory is opened with `O_NOFOLLOW | O_DIRECTORY`.
 * Without /proc (macOS) children are named by path and every open is checked against an
 * `lstat` of the same path (same device and inode), which refuses a swapped component.
 */
export class PinnedDir {
  private constructor(
    private readonly fh: FileHandle,
    /** The directory's path when it was opened (for messages and the no-/proc fallback). */
    readonly path: string,
  ) {}

  /** Opens `path` itself (following symlinks: the caller chose it) as the root of a walk. */
  static async openRoot(path: string): Promise<PinnedDir> {
    return new PinnedDir(await open(path, constants.O_RDONLY | constants.O_DIRECTORY), path);
  }

  /** The path naming `name` in this directory, safe to pass to any fs call that does not follow its last component. */
  at(name: string): string {
    return PROC_FD ? `/proc/self/fd/${this.fh.fd}/${name}` : join(this.path, name);
  }

  /**
   * Opens the child directory `name` without following a symlink; with `create`, makes it
   * first when missing (`mode` before the umask). Throws NotADirectory when `name` is
   * anything but a real directory.
   */
  async child(name: string, o: { create?: boolean; mode?: number } = {}): Promise<PinnedDir> {
    if (o.create) {
      await mkdir(this.at(name), { mode: o.mode ?? 0o755 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    const fh = await open(this.at(name), DIR_FLAGS).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ELOOP' || err.code === 'ENOTDIR' ? new NotADirectory(name) : err;
    });
    if (!PROC_FD) {
      const [a, b] = await Promise.all([fh.stat(), lstat(this.at(name))]);
      if (a.dev !== b.dev || a.ino !== b.ino || !b.isDirectory()) {
        await fh.close();
        throw new NotADirectory(name);
      }
    }
    return new PinnedDir(fh, join(this.path, name));
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * The open directories along the current path under a root, reused between calls: an
 * archive lists a directory's entries together, so most entries open nothing new.
 */
export class PinnedChain {
  private readonly chain: { name: string; dir: PinnedDir }[] = [];

  constructor(readonly root: PinnedDir) {}

  /** The directory at `parts` under the root (each component opened with O_NOFOLLOW; created when `create`). */
  async dir(parts: readonly string[], o: { create?: boolean; mode?: number } = {}): Promise<PinnedDir> {
    let keep = 0;
    while (keep < this.chain.length && keep < parts.length && this.chain[keep]!.name === parts[keep]) keep += 1;
    for (const stale of this.chain.splice(keep)) await stale.dir.close();
    for (let i = keep; i < parts.length; i++) {
      const parent = i === 0 ? this.root : this.chain[i - 1]!.dir;
      this.chain.push({ name: parts[i]!, dir: await parent.child(parts[i]!, o) });
    }
    return parts.length === 0 ? this.root : this.chain[parts.length - 1]!.dir;
  }

  async close(): Promise<void> {
    for (const c of this.chain.splice(0)) await c.dir.close();
    await this.root.close();
  }
}
