import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ArchiveStat } from '../engine/archives.js';
import type { Engine } from '../engine/engine.js';
import { runExec } from '../exec/run-exec.js';
import { typeFromGoMode, type FileEntry, type FileToWrite, type FileType } from './file-entry.js';
import { copyToHost, type CopyResult, type CopyToHostOptions } from './host-copy.js';
import { listArchive, packDirectories, packFiles, readFirstFile } from './tar.js';

/**
 * File operations on one container through the engine's archive endpoints (no tools
 * needed in the image), plus `rm` through exec for deletes. Paths are absolute and
 * already checked by the caller.
 */
export class ContainerFiles {
  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  async stat(id: string, path: string): Promise<FileEntry> {
    return entryOf(path, await this.engine.archives.stat(id, path));
  }

  /** The engine's archive of `path` and the path's entry, from one request. */
  private async archiveOf(id: string, path: string): Promise<{ archive: Readable; entry: FileEntry }> {
    const { archive, stat } = await this.engine.archives.get(id, path);
    return { archive, entry: entryOf(path, stat) };
  }

  private async exists(id: string, path: string): Promise<FileEntry | undefined> {
    try {
      return await this.stat(id, path);
    } catch (err) {
      if (BerthError.is(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** `mkdir -p`: creates the missing part of `dir` (mode 0755) under its deepest existing ancestor. */
  async mkdirp(id: string, dir: string): Promise<void> {
    const missing: string[] = [];
    let cur = dir;
    for (;;) {
      const st = await this.exists(id, cur);
      if (st) {
        if (st.type !== 'directory') throw new BerthError('Conflict', `${cur} exists and is not a directory`, { details: { path: cur } });
        break;
      }
      missing.unshift(posix.basename(cur));
      cur = posix.dirname(cur);
    }
    if (!missing.length) return;
    const names = missing.map((_, i) => `${missing.slice(0, i + 1).join('/')}/`);
    await this.engine.archives.put(id, cur, packDirectories(names));
  }

  /** Writes every file in one tar archive, extracted at their deepest common directory (created first). */
  async writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }> {
    if (!files.length) return { files: 0, bytes: 0 };
    let root = posix.dirname(files[0]!.path);
    for (const f of files) while (!(posix.dirname(f.path) + '/').startsWith(root === '/' ? '/' : `${root}/`)) root = posix.dirname(root);
    await this.mkdirp(id, root);
    await this.engine.archives.put(id, root, packFiles(root, files));
    const bytes = files.reduce((n, f) => n + (typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length), 0);
    return { files: files.length, bytes };
  }

  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer> {
    const { archive, entry: st } = await this.archiveOf(id, path);
    if (st.type === 'directory') {
      archive.destroy();
      throw new BerthError('InvalidArgument', `${path} is a directory; use listDirectory or exportDirectory`, { details: { path } });
    }
    if (st.size > maxBytes) {
      archive.destroy();
      throw new BerthError('InvalidArgument', `${path} is ${st.size} bytes, over maxBytes ${maxBytes}; raise maxBytes or use exportDirectory`, {
        details: { path, size: st.size, maxBytes },
      });
    }
    return readFirstFile(archive, path, maxBytes);
  }

  async list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]> {
    const { archive, entry: st } = await this.archiveOf(id, dir);
    if (st.type !== 'directory') {
      archive.destroy();
      throw new BerthError('InvalidArgument', `${dir} is not a directory`, { details: { path: dir } });
    }
    return listArchive(archive, dir, recursive);
  }

  /** Deletes a file, or a directory with `recursive`. `NotFound` when missing. Needs `rm` in the image. */
  async remove(id: string, path: string, recursive: boolean): Promise<void> {
    const st = await this.stat(id, path);
    if (st.type === 'directory' && !recursive) {
      throw new BerthError('Conflict', `${path} is a directory; pass recursive: true to delete it and everything in it`, { details: { path } });
    }
    const r = await runExec(this.engine, id, { cmd: ['rm', recursive ? '-rf' : '-f', '--', path], timeoutMs: 60_000 }, this.log);
    if (r.exitCode !== 0) throw new BerthError('Internal', `rm ${path} failed (exit ${r.exitCode}): ${r.stderr.trim()}`, { details: { path } });
  }

  /** The engine's tar of `path`: a directory (entries start with its own name) or one file. */
  async exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }> {
    const { archive, entry } = await this.archiveOf(id, path);
    return { archive, type: entry.type };
  }

  /**
   * Copies a file or a directory out to the host (see SandboxFiles.copyOut). A single
   * file is written straight from the engine's response (TarFileWriter), the 100 MB case.
   */
  async copyOut(id: string, path: string, hostPath: string, options: CopyToHostOptions = {}): Promise<CopyResult> {
    const { body, stat } = await this.engine.archives.open(id, path);
    return copyToHost(body, entryOf(path, stat).type, path, hostPath, options);
  }

  /** Extracts a tar stream into `dir` (created first). */
  async importArchive(id: string, dir: string, archive: Readable): Promise<void> {
    await this.mkdirp(id, dir);
    await this.engine.archives.put(id, dir, archive);
  }
}

function entryOf(path: string, st: ArchiveStat): FileEntry {
  const type = typeFromGoMode(st.mode);
  return {
    name: posix.basename(path) || '/',
    path,
    type,
    size: type === 'directory' ? 0 : st.size,
    mode: st.mode & 0o777,
    mtime: new Date(st.mtime).toISOString(),
    ...(st.linkTarget ? { linkTarget: st.linkTarget } : {}),
  };
}
