import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import type { FileEntry, FileToWrite, FileType } from './file-entry.js';

/** A tar archive of `files`, names relative to `root` (every path must be under it). */
export function packFiles(root: string, files: Array<FileToWrite & { path: string }>): Readable {
  const pack = tar.pack();
  const now = new Date();
  for (const f of files) {
    const name = posix.relative(root, f.path);
    const content = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
    pack.entry({ name, size: content.length, mode: f.mode ?? 0o644, mtime: now, type: 'file' }, content);
  }
  pack.finalize();
  return Readable.from(pack);
}

/** A tar archive holding only directories (`names` relative to the extraction point), mode 0755. */
export function packDirectories(names: string[]): Readable {
  const pack = tar.pack();
  for (const name of names) pack.entry({ name, type: 'directory', mode: 0o755, mtime: new Date() });
  pack.finalize();
  return Readable.from(pack);
}

function entryType(t: string | undefined | null): FileType {
  if (t === 'file' || t === 'contiguous-file') return 'file';
  if (t === 'directory') return 'directory';
  if (t === 'symlink') return 'symlink';
  return 'other';
}

/** The first regular file of an archive, at most `maxBytes`; `InvalidArgument` when larger. */
export async function readFirstFile(archive: Readable, path: string, maxBytes: number): Promise<Buffer> {
  const extract = tar.extract();
  archive.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    if (h.type !== 'file' && h.type !== 'contiguous-file') {
      entry.resume();
      archive.destroy();
      throw new BerthError('InvalidArgument', `${path} is a ${entryType(h.type)}, not a file`, { details: { path } });
    }
    if ((h.size ?? 0) > maxBytes) {
      entry.resume();
      archive.destroy();
      throw new BerthError('InvalidArgument', `${path} is ${h.size} bytes, over maxBytes ${maxBytes}; raise maxBytes or use exportDirectory`, {
        details: { path, size: h.size, maxBytes },
      });
    }
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    archive.destroy();
    return Buffer.concat(chunks);
  }
  throw new BerthError('NotFound', `${path}: no file in the engine's archive`);
}

/**
 * Entries of a directory archive (as the engine sends it: names start with the directory's
 * own basename), as sandbox paths under `dir`. Contents are skipped, not kept.
 */
export async function listArchive(archive: Readable, dir: string, recursive: boolean): Promise<FileEntry[]> {
  const extract = tar.extract();
  archive.pipe(extract);
  const out: FileEntry[] = [];
  for await (const entry of extract) {
    const h = entry.header;
    entry.resume();
    const parts = h.name.replace(/\/+$/, '').split('/');
    const rel = parts.slice(1);
    if (rel.length === 0 || (!recursive && rel.length > 1)) continue;
    const path = posix.join(dir, ...rel);
    out.push({
      name: rel[rel.length - 1] ?? '',
      path,
      type: entryType(h.type),
      size: h.type === 'directory' ? 0 : (h.size ?? 0),
      mode: (h.mode ?? 0) & 0o7777,
      mtime: (h.mtime ?? new Date(0)).toISOString(),
      ...(h.type === 'symlink' && h.linkname ? { linkTarget: h.linkname } : {}),
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
