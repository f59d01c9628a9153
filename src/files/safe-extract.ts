import { constants } from 'node:fs';
import { link, mkdir, open, realpath, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import { coalesce } from './coalesce.js';

export interface SafeExtractOptions {
  /** Drop this many leading path components (the engine's archives start with the directory's name). */
  strip?: number;
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

const inside = (root: string, p: string) => p === root || p.startsWith(root + sep);

/** The real path of `p`: its deepest existing ancestor resolved (symlinks followed), the rest appended. */
async function realDeepest(p: string): Promise<string> {
  let probe = p;
  let rest = '';
  for (;;) {
    const real = await realpath(probe).catch(() => undefined);
    if (real !== undefined) return rest ? join(real, rest) : real;
    if (dirname(probe) === probe) return p;
    rest = rest ? join(basename(probe), rest) : basename(probe);
    probe = dirname(probe);
  }
}

/**
 * Extracts a tar stream into `target` on the host, refusing (PolicyDenied) absolute names,
 * `..` that leaves the target, symlinks or hardlinks that point outside it, and device
 * files or FIFOs. Modes keep only permission bits (no setuid). Streams: memory stays flat.
 */
export async function extractSafely(archive: Readable, target: string, o: SafeExtractOptions = {}): Promise<SafeExtractResult> {
  const root = resolve(target);
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const extract = tar.extract();
  archive.pipe(extract);
  const result: SafeExtractResult = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const raw = h.name;
      if (isAbsolute(raw) || /^[a-zA-Z]:/.test(raw)) throw denied(raw, 'absolute path');
      const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
      const rel = parts.slice(o.strip ?? 0);
      if (rel.length === 0) {
        entry.resume();
        continue;
      }
      const dest = resolve(root, ...rel);
      if (!inside(root, dest)) throw denied(raw, '.. leaves the target');
      // A symlink already in the target (one a sandbox's command made) must not lead out.
      if (!inside(realRoot, await realDeepest(dirname(dest)))) throw denied(raw, 'a symlink in the target leads outside it');
      switch (h.type) {
        case 'directory':
          await mkdir(dest, { recursive: true, mode: (h.mode ?? 0o755) & 0o777 });
          entry.resume();
          result.directories += 1;
          break;
        case 'file':
        case 'contiguous-file':
          await mkdir(dirname(dest), { recursive: true });
          // O_NOFOLLOW: an existing symlink at the entry's name is refused, not written through.
          const fh = await open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, (h.mode ?? 0o644) & 0o777).catch((err: NodeJS.ErrnoException) => {
            throw err.code === 'ELOOP' ? denied(raw, 'a symlink is in the way') : err;
          });
          await pipeline(entry, coalesce(), fh.createWriteStream());
          if (h.mtime) await utimes(dest, h.mtime, h.mtime);
          result.files += 1;
          result.bytes += h.size ?? 0;
          break;
        case 'symlink': {
          const linkname = h.linkname ?? '';
          const pointsTo = isAbsolute(linkname) ? linkname : resolve(dirname(dest), linkname);
          if (isAbsolute(linkname) || !inside(root, pointsTo)) throw denied(raw, `symlink to ${linkname} points outside the target`);
          await mkdir(dirname(dest), { recursive: true });
          await symlink(linkname, dest);
          entry.resume();
          result.symlinks += 1;
          break;
        }
        case 'link': {
          const linkname = h.linkname ?? '';
          const lparts = linkname.split('/').filter((p) => p !== '' && p !== '.').slice(o.strip ?? 0);
          const from = resolve(root, ...lparts);
          if (isAbsolute(linkname) || !inside(root, from) || lparts.length === 0) throw denied(raw, `hardlink to ${linkname} points outside the target`);
          await mkdir(dirname(dest), { recursive: true });
          await link(from, dest);
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
  }
  return result;
}
