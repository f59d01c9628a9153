import { mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import tarFs from 'tar-fs';
import { BerthError } from '../common/errors.js';
import { coalesce } from './coalesce.js';
import { extractSafely } from './safe-extract.js';

export interface CopyResult {
  /** Bytes of the archive moved. */
  bytes: number;
}

/** `source` piped through a counter: `counter.bytes` grows as the result is read. */
export function counted(source: Readable, counter: CopyResult): Readable {
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, callback) {
        counter.bytes += chunk.length;
        callback(null, chunk);
      },
    }),
  );
}

/**
 * A tar stream of a host path: a directory's contents, or one file renamed to `as`.
 * Counts bytes into `counter.bytes`.
 */
export async function packHostPath(hostPath: string, as: string | undefined, counter: CopyResult): Promise<{ archive: Readable; isDir: boolean }> {
  const st = await stat(hostPath).catch(() => undefined);
  if (!st) throw new BerthError('NotFound', `host path ${hostPath} does not exist`, { details: { hostPath } });
  const pack = st.isDirectory()
    ? tarFs.pack(hostPath)
    : tarFs.pack(dirname(hostPath), { entries: [basename(hostPath)], map: (h) => ({ ...h, name: as ?? h.name }) });
  return { archive: counted(Readable.from(pack as AsyncIterable<Buffer>).pipe(coalesce()), counter), isDir: st.isDirectory() };
}

/**
 * Writes an engine archive of a container path to the host: a directory's contents into
 * `hostPath` (created), or a single file at `hostPath`. Extraction is safe (extractSafely).
 */
export async function unpackToHost(archive: Readable, isDir: boolean, hostPath: string): Promise<void> {
  if (isDir) {
    await extractSafely(archive, hostPath, { strip: 1 });
    return;
  }
  const tmp = await mkdtemp(join(dirname(hostPath), '.berth-cp-'));
  try {
    const r = await extractSafely(archive, tmp, { strip: 0 });
    if (r.files !== 1) throw new BerthError('Internal', `expected one file in the archive, got ${r.files}`);
    const [name] = await readdir(tmp);
    await rename(join(tmp, name ?? ''), hostPath);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
