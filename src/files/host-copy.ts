import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import tarFs from 'tar-fs';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import { coalesce, WRITE_CHUNK } from './coalesce.js';
import { extractSafely } from './safe-extract.js';

export interface CopyResult {
  /** Bytes moved: a single file's content, else the archive's. */
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
 * Counts bytes into `counter.bytes` (the archive's for a directory, the content's for a file).
 * One file streams straight from a 1 MiB-chunk read into the archive: the 100 MB case.
 */
export async function packHostPath(hostPath: string, as: string | undefined, counter: CopyResult): Promise<{ archive: Readable; isDir: boolean }> {
  const st = await stat(hostPath).catch(() => undefined);
  if (!st) throw new BerthError('NotFound', `host path ${hostPath} does not exist`, { details: { hostPath } });
  if (st.isDirectory()) {
    return { archive: counted(Readable.from(tarFs.pack(hostPath) as AsyncIterable<Buffer>).pipe(coalesce()), counter), isDir: true };
  }
  if (!st.isFile()) throw new BerthError('InvalidArgument', `${hostPath} is not a regular file or a directory`, { details: { hostPath } });
  const pack = tar.pack();
  const content = createReadStream(hostPath, { highWaterMark: WRITE_CHUNK });
  content.on('data', (d) => (counter.bytes += d.length));
  content.on('error', (err) => pack.destroy(err));
  content.pipe(
    pack.entry({ name: as ?? basename(hostPath), size: st.size, mode: st.mode & 0o777, mtime: st.mtime }, (err) => (err ? pack.destroy(err) : pack.finalize())),
  );
  return { archive: pack as unknown as Readable, isDir: false };
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
