import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tarFs from 'tar-fs';
import { BerthError } from '../common/errors.js';
import type { FileEntry, FileToWrite, FileType } from '../files/file-entry.js';
import { readableBody } from '../common/socket-get.js';
import { copyToHost, type CopyResult, type CopyToHostOptions } from '../files/host-copy.js';
import { extractSafely } from '../files/safe-extract.js';
import type { SandboxFiles } from '../session/sandbox.js';

const typeOf = (st: Stats): FileType => (st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other');

const notFound = (path: string) => new BerthError('NotFound', `${path} does not exist`, { details: { path } });

/**
 * The files API on a local sandbox (`id` is its directory). Paths arrive checked against
 * the base dir; here their real path is checked too, so a symlink made by a command
 * cannot lead a file operation out of the sandbox (`PolicyDenied`).
 */
export class LocalFiles implements SandboxFiles {
  /** Throws `PolicyDenied` when `path` (or its deepest existing ancestor) resolves outside `id`. */
  private async confined(id: string, path: string): Promise<string> {
    const root = await realpath(id).catch(() => {
      throw new BerthError('NotFound', `the sandbox directory ${id} is gone`, { details: { dir: id } });
    });
    let probe = resolve(path);
    let rest = '';
    for (;;) {
      const real = await realpath(probe).catch(() => undefined);
      if (real !== undefined) {
        const full = rest ? join(real, rest) : real;
        if (full !== root && !full.startsWith(root + sep)) {
          throw new BerthError('PolicyDenied', `${path} leads outside the sandbox (through a symlink) to ${full}`, { details: { path, resolved: full, rule: 'confine' } });
        }
        return path;
      }
      rest = rest ? join(basename(probe), rest) : basename(probe);
      probe = dirname(probe);
    }
  }

  private async lstatOrThrow(path: string): Promise<Stats> {
    return lstat(path).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' || err.code === 'ENOTDIR' ? notFound(path) : BerthError.from(err);
    });
  }

  private entry(path: string, st: Stats, linkTarget?: string): FileEntry {
    const type = typeOf(st);
    return {
      name: basename(path) || '/',
      path,
      type,
      size: type === 'directory' ? 0 : st.size,
      mode: st.mode & 0o777,
      mtime: st.mtime.toISOString(),
      ...(linkTarget ? { linkTarget } : {}),
    };
  }

  /** The path's parent is checked (the path itself may be a symlink, shown as one), or the root itself. */
  private parentOf(id: string, path: string): string {
    return resolve(path) === resolve(id) ? path : dirname(path);
  }

  async stat(id: string, path: string): Promise<FileEntry> {
    await this.confined(id, this.parentOf(id, path));
    const st = await this.lstatOrThrow(path);
    return this.entry(path, st, st.isSymbolicLink() ? await readlink(path) : undefined);
  }

  async mkdirp(id: string, dir: string): Promise<void> {
    await this.confined(id, dir);
    await mkdir(dir, { recursive: true, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' || err.code === 'ENOTDIR' ? new BerthError('Conflict', `${dir} (or a parent) exists and is not a directory`, { details: { path: dir } }) : BerthError.from(err);
    });
  }

  async writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }> {
    let bytes = 0;
    for (const f of files) {
      await this.mkdirp(id, dirname(f.path));
      await this.confined(id, dirname(f.path));
      // O_NOFOLLOW: a symlink planted at the file's own name is refused, not followed.
      const fh = await open(f.path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, f.mode ?? 0o644).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ELOOP'
          ? new BerthError('PolicyDenied', `${f.path} is a symlink; berth does not write through symlinks in a local sandbox`, { details: { path: f.path, rule: 'confine' } })
          : BerthError.from(err);
      });
      try {
        await fh.writeFile(f.content);
        await fh.chmod(f.mode ?? 0o644);
      } finally {
        await fh.close();
      }
      bytes += typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length;
    }
    return { files: files.length, bytes };
  }

  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer> {
    await this.confined(id, path);
    const st = await this.lstatOrThrow(path);
    if (st.isDirectory()) throw new BerthError('InvalidArgument', `${path} is a directory; use listDirectory or exportDirectory`, { details: { path } });
    if (st.size > maxBytes) {
      throw new BerthError('InvalidArgument', `${path} is ${st.size} bytes, over maxBytes ${maxBytes}; raise maxBytes or use exportDirectory`, {
        details: { path, size: st.size, maxBytes },
      });
    }
    return readFile(path);
  }

  async list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]> {
    await this.confined(id, dir);
    const st = await this.lstatOrThrow(dir);
    if (!st.isDirectory()) throw new BerthError('InvalidArgument', `${dir} is not a directory`, { details: { path: dir } });
    const out: FileEntry[] = [];
    const walk = async (d: string) => {
      for (const name of await readdir(d)) {
        const p = join(d, name);
        const s = await lstat(p);
        out.push(this.entry(p, s, s.isSymbolicLink() ? await readlink(p) : undefined));
        if (recursive && s.isDirectory()) await walk(p);
      }
    };
    await walk(dir);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async remove(id: string, path: string, recursive: boolean): Promise<void> {
    await this.confined(id, this.parentOf(id, path));
    const st = await this.lstatOrThrow(path);
    if (st.isDirectory() && !recursive) {
      throw new BerthError('Conflict', `${path} is a directory; pass recursive: true to delete it and everything in it`, { details: { path } });
    }
    await rm(path, { recursive, force: true });
  }

  async exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }> {
    await this.confined(id, path);
    const st = await this.lstatOrThrow(path);
    const pack = tarFs.pack(dirname(path), { entries: [basename(path)], umask: 0 } as tarFs.PackOptions);
    // tar-fs throws from a pending fs callback into a pack destroyed mid-walk (an uncaught
    // exception), so a reader that stops early unpipes and the pack drains to its end instead.
    const archive = new PassThrough();
    pack.once('error', (err: Error) => archive.destroy(new BerthError('InvalidArgument', `${err.message}: only regular files, directories and symlinks can be copied out`, { cause: err })));
    pack.on('data', (chunk: unknown) => {
      if (!archive.destroyed && !archive.write(chunk as Buffer)) pack.pause();
    });
    pack.once('end', () => archive.end());
    archive.on('drain', () => pack.resume());
    archive.once('close', () => pack.resume());
    return { archive, type: typeOf(st) };
  }

  async copyOut(id: string, path: string, hostPath: string, options: CopyToHostOptions = {}): Promise<CopyResult> {
    const { archive, type } = await this.exportArchive(id, path);
    return copyToHost(readableBody(archive), type, path, hostPath, options);
  }

  async importArchive(id: string, dir: string, archive: Readable): Promise<void> {
    await extractSafely(archive, dir, { confineTo: id });
  }
}

