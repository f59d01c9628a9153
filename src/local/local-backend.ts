import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, rm } from 'node:fs/promises';
import { BerthError } from '../common/errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFiles } from './local-files.js';
import { LocalSandbox, type LocalGroupStore } from './local-sandbox.js';

/** Where local sandboxes live by default: `$TMPDIR/berth-local-<uid>`. */
export const defaultLocalRoot = (): string => join(tmpdir(), `berth-local-${process.getuid?.() ?? 'user'}`);

/**
 * The local backend: each session is a directory under `root` (mode 0700) and its
 * commands are host processes. Keeps one `LocalSandbox` per directory, so a stop reaches
 * the commands earlier calls started.
 */
export class LocalBackend {
  readonly files = new LocalFiles();
  private readonly sandboxes = new Map<string, LocalSandbox>();

  /**
   * @param root parent of the sandboxes' directories; default `defaultLocalRoot()`.
   * @param groups where sandboxes record their process groups (the store), so stop and
   *   remove reach them after a daemon restart; default: memory only.
   */
  constructor(
    readonly root: string = defaultLocalRoot(),
    private readonly groups?: LocalGroupStore,
  ) {}

  /** The directory of a session's sandbox (deterministic, so a retry finds the same one). */
  dirFor(sessionId: string): string {
    return join(this.root, sessionId);
  }

  /** Makes the sandbox's directory, empty or as a copy of `copyOf` (a fork). */
  async create(sessionId: string, copyOf?: string): Promise<string> {
    const dir = this.dirFor(sessionId);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await this.assertPrivateRoot();
    await rm(dir, { recursive: true, force: true });
    if (copyOf) await cp(copyOf, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    else await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  /**
   * The root must be a real directory (not a symlink) owned by this user and closed to
   * others: in a shared /tmp, someone else could have made it first.
   */
  private async assertPrivateRoot(): Promise<void> {
    const st = await lstat(this.root);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
      throw new BerthError('PolicyDenied', `the local sandboxes' root ${this.root} must be a directory of this user with mode 0700 (it is not); remove it or choose localRoot`, {
        details: { root: this.root },
      });
    }
  }

  sandbox(dir: string, env: Record<string, string> = {}): LocalSandbox {
    let s = this.sandboxes.get(dir);
    if (!s) {
      s = new LocalSandbox(dir, env, this.groups);
      this.sandboxes.set(dir, s);
    }
    return s;
  }

  /** Removes the sandbox: its commands are killed and its directory deleted. */
  async remove(dir: string): Promise<void> {
    await this.sandbox(dir).remove();
    this.sandboxes.delete(dir);
  }

  exists(dir: string): boolean {
    return existsSync(dir);
  }
}
