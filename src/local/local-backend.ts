import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFiles } from './local-files.js';
import { LocalSandbox } from './local-sandbox.js';

/** Where local sandboxes live by default: `$TMPDIR/berth-local`. */
export const defaultLocalRoot = (): string => join(tmpdir(), 'berth-local');

/**
 * The local backend: each session is a directory under `root` (mode 0700) and its
 * commands are host processes. Keeps one `LocalSandbox` per directory, so a stop reaches
 * the commands earlier calls started.
 */
export class LocalBackend {
  readonly files = new LocalFiles();
  private readonly sandboxes = new Map<string, LocalSandbox>();

  /** @param root parent of the sandboxes' directories; default `defaultLocalRoot()`. */
  constructor(readonly root: string = defaultLocalRoot()) {}

  /** The directory of a session's sandbox (deterministic, so a retry finds the same one). */
  dirFor(sessionId: string): string {
    return join(this.root, sessionId);
  }

  /** Makes the sandbox's directory, empty or as a copy of `copyOf` (a fork). */
  async create(sessionId: string, copyOf?: string): Promise<string> {
    const dir = this.dirFor(sessionId);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await rm(dir, { recursive: true, force: true });
    if (copyOf) await cp(copyOf, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    else await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  sandbox(dir: string, env: Record<string, string> = {}): LocalSandbox {
    let s = this.sandboxes.get(dir);
    if (!s) {
      s = new LocalSandbox(dir, env);
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
