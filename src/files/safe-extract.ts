import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, lutimes, mkdir, open, realpath, rename, rm, symlink } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import { coalesce } from './coalesce.js';
import { NotADirectory, PinnedChain, PinnedDir } from './pinned-dir.js';

export interface SafeExtractOptions {
  /** Drop this many leading path components (the engine's archives start with the directory's name). */
  strip?: number;
  /**
   * A directory `target` lies in that must not be left: the walk starts here and every
   * component down to `target` is opened without following symlinks (a local sandbox's
   * directory, where a command may have planted links). Default: `target` itself.
   */
  confineTo?: string;
}

export interface SafeExtractResult {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
}

function denied(name: string, why: string): BerthError {
  return new BerthError('PolicyDenied', `refused archive entry "${name}": ${why}; nothing outside the target is written`, {
    details: { entry: name, rule: why },
  });
}

const tmpName = () => `.berth-x-${randomBytes(6).toString('hex')}`;

/** Splits an entry name into components; `.` and empty ones dropped, `..` kept (judged by the caller). */
const componentsOf = (name: string) => name.split('/').filter((p) => p !== '' && p !== '.');

/**
 * Why a symlink target is refused, or undefined. Allowed: relative targets whose `..`
 * components all come first and climb no higher than the link's own directory (`depth`
 * components below the root). Since every link this extractor makes obeys that rule and
 * no walk ever passes through a link, any chain of them resolves inside the target.
 */
function symlinkProblem(linkname: string, depth: number): string | undefined {
  if (linkname === '' || isAbsolute(linkname) || /^[a-zA-Z]:/.test(linkname)) return `symlink to "${linkname}" is absolute or empty`;
  const parts = componentsOf(linkname);
  const up = parts.findIndex((p) => p !== '..');
  const climbs = up < 0 ? parts.length : up;
  if (parts.slice(climbs).includes('..')) return `symlink to "${linkname}" has .. after a name (it could climb through another link)`;
  if (climbs > depth) return `symlink to "${linkname}" points outside the target`;
  return undefined;
}

/** Opens `parts` under `root` with O_NOFOLLOW, apart from any chain; `close` releases all but the root. */
async function walkFresh(root: PinnedDir, parts: readonly string[]): Promise<{ dir: PinnedDir; close: () => Promise<void> }> {
  const opened: PinnedDir[] = [];
  const close = async () => {
    for (const d of opened.splice(0)) await d.close();
  };
  try {
    let dir = root;
    for (const p of parts) {
      dir = await dir.child(p);
      opened.push(dir);
    }
    return { dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Moves `tmp` over `name` in `dir`; a directory there is never replaced. */
async function replace(dir: PinnedDir, tmp: string, name: string, raw: string): Promise<void> {
  await rename(dir.at(tmp), dir.at(name)).catch(async (err: NodeJS.ErrnoException) => {
    await rm(dir.at(tmp), { force: true });
    if (err.code === 'EISDIR' || err.code === 'ENOTEMPTY' || err.code === 'EEXIST' || err.code === 'ENOTDIR') {
      throw denied(raw, 'it would replace a directory already there');
    }
    throw err;
  });
}

/**
 * Extracts a tar stream into `target` on the host; whatever the archive holds, nothing
 * outside `target` is created, written or linked to. Every parent directory is opened
 * component by component with `O_NOFOLLOW` (see PinnedDir), so no symlink, the archive's
 * own or one already there, is ever walked through. Refused (PolicyDenied): absolute
 * names, `..` leaving the target, symlinks that are absolute or climb out (see
 * symlinkProblem), hard links to anything but a regular file this archive wrote, devices
 * and FIFOs, an entry where a symlink or file stands in for a parent directory, and an
 * entry that would replace a directory. Files and links are made under a temporary name
 * and renamed into place, so an existing link at the name is replaced, never written
 * through. Modes keep only permission bits (no setuid). Streams: memory stays flat.
 */
export async function extractSafely(archive: Readable, target: string, o: SafeExtractOptions = {}): Promise<SafeExtractResult> {
  const extract = tar.extract();
  // Its errors reach the caller through `failure` and the loop below; unheard, they would be uncaught.
  extract.on('error', () => undefined);
  // By hand, not stream.pipeline: the archive may be a streamx stream (tar-stream's pack). A
  // source that fails or closes before its end fails the extraction instead of leaving it waiting.
  // Watched before the first await: a packer can fail (a FIFO) while the target is opened.
  let ended = false;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    extract.destroy(err);
  };
  archive.once('end', () => (ended = true));
  archive.once('error', fail);
  archive.once('close', () => {
    if (!ended) fail(new BerthError('InvalidArgument', 'the archive stream closed before its end'));
  });
  if (archive.errored) fail(archive.errored);
  else if (archive.destroyed && !archive.readableEnded) fail(new BerthError('InvalidArgument', 'the archive stream closed before its end'));
  const root = resolve(target);
  const confine = resolve(o.confineTo ?? root);
  const below = relative(confine, root);
  if (below === '..' || below.startsWith(`..${sep}`) || isAbsolute(below)) throw denied(root, 'the target is outside the directory it must stay in');
  if (!o.confineTo) await mkdir(root, { recursive: true });
  const chain = new PinnedChain(await PinnedDir.openRoot(await realpath(confine)));
  const prefix = componentsOf(below.split(sep).join('/'));
  const result: SafeExtractResult = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  /** `dev:ino` of every regular file this archive wrote: the only things a hard link may name. */
  const written = new Set<string>();
  const parentOf = async (raw: string, rel: string[]) => {
    try {
      return await chain.dir([...prefix, ...rel.slice(0, -1)], { create: true });
    } catch (err) {
      if (err instanceof NotADirectory) throw denied(raw, `${err.component} on its path is a symlink or not a directory`);
      throw err;
    }
  };
  try {
    await parentOf(root, ['.']);
    // Piped only now, with its iterator made in the same tick: entries tar-stream emits before
    // anyone iterates are lost, and a short archive would end before the loop starts.
    if (failure) throw failure;
    archive.pipe(extract);
    for await (const entry of extract) {
      const h = entry.header;
      const raw = h.name;
      if (isAbsolute(raw) || /^[a-zA-Z]:/.test(raw)) throw denied(raw, 'absolute path');
      const rel = componentsOf(raw).slice(o.strip ?? 0);
      if (rel.length === 0) {
        entry.resume();
        continue;
      }
      if (rel.includes('..')) {
        const lexical = resolve(root, ...rel);
        throw denied(raw, lexical === root || lexical.startsWith(root + sep) ? '.. in a name (it could climb through a link)' : '.. leaves the target');
      }
      const name = rel[rel.length - 1]!;
      switch (h.type) {
        case 'directory': {
          const parent = await parentOf(raw, rel);
          await mkdir(parent.at(name), { mode: (h.mode ?? 0o755) & 0o777 }).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          if (!(await lstat(parent.at(name))).isDirectory()) throw denied(raw, 'a symlink or file stands where the directory goes');
          entry.resume();
          result.directories += 1;
          break;
        }
        case 'file':
        case 'contiguous-file': {
          const parent = await parentOf(raw, rel);
          const tmp = tmpName();
          const fh = await open(parent.at(tmp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, (h.mode ?? 0o644) & 0o777);
          try {
            await fh.chmod((h.mode ?? 0o644) & 0o777);
            const st = await fh.stat();
            await pipeline(entry, coalesce(), fh.createWriteStream());
            if (h.mtime) await lutimes(parent.at(tmp), h.mtime, h.mtime);
            written.add(`${st.dev}:${st.ino}`);
          } catch (err) {
            await fh.close().catch(() => undefined);
            await rm(parent.at(tmp), { force: true });
            throw err;
          }
          await replace(parent, tmp, name, raw);
          result.files += 1;
          result.bytes += h.size ?? 0;
          break;
        }
        case 'symlink': {
          const linkname = h.linkname ?? '';
          const problem = symlinkProblem(linkname, rel.length - 1);
          if (problem) throw denied(raw, problem);
          const parent = await parentOf(raw, rel);
          const tmp = tmpName();
          await symlink(linkname, parent.at(tmp));
          await replace(parent, tmp, name, raw);
          entry.resume();
          result.symlinks += 1;
          break;
        }
        case 'link': {
          const linkname = h.linkname ?? '';
          const lparts = componentsOf(linkname).slice(o.strip ?? 0);
          if (isAbsolute(linkname) || lparts.length === 0 || lparts.includes('..')) throw denied(raw, `hardlink to ${linkname} points outside the target`);
          const parent = await parentOf(raw, rel);
          const from = await walkFresh(chain.root, [...prefix, ...lparts.slice(0, -1)]).catch((err: unknown) => {
            if (err instanceof NotADirectory || (err as NodeJS.ErrnoException).code === 'ENOENT') throw denied(raw, `hardlink to ${linkname}: no such file from this archive (links are never followed)`);
            throw err;
          });
          try {
            const sourcePath = from.dir.at(lparts[lparts.length - 1]!);
            const source = await lstat(sourcePath).catch(() => undefined);
            if (!source?.isFile() || !written.has(`${source.dev}:${source.ino}`)) throw denied(raw, `hardlink to ${linkname}: only a regular file extracted earlier from this archive can be linked`);
            const tmp = tmpName();
            await link(sourcePath, parent.at(tmp));
            await replace(parent, tmp, name, raw);
          } finally {
            await from.close();
          }
          entry.resume();
          result.files += 1;
          break;
        }
        default:
          throw denied(raw, `${h.type} entries (devices, FIFOs) are not extracted`);
      }
    }
  } catch (err) {
    archive.destroy();
    extract.destroy();
    throw err;
  } finally {
    await chain.close();
  }
  return result;
}
