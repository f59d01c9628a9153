import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import tarFs from 'tar-fs';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import { coalesce, WRITE_CHUNK } from './coalesce.js';
import type { ArchiveBody } from '../common/socket-get.js';
import type { FileType } from './file-entry.js';
import { extractSafely } from './safe-extract.js';
import { TarFileWriter } from './tar-file-writer.js';

export interface CopyResult {
  /** Bytes moved: a single file's content, else the archive's. */
  bytes: number;
}

/**
 * `source` piped through a counter: `counter.bytes` grows as the result is read. An error
 * or early end of `source` destroys the result with it (and the other way round), so a
 * reader never waits on a dead source.
 */
export function counted(source: Readable, counter: CopyResult): Readable {
  const counter$ = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return pipeline(source, counter$, () => undefined);
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
    return { archive: counted(pipeline(Readable.from(tarFs.pack(hostPath, { umask: 0 } as tarFs.PackOptions) as AsyncIterable<Buffer>), coalesce(), () => undefined), counter), isDir: true };
  }
  if (!st.isFile()) throw new BerthError('InvalidArgument', `${hostPath} is not a regular file or a directory`, { details: { hostPath } });
  const pack = tar.pack();
  const content = createReadStream(hostPath, { highWaterMark: WRITE_CHUNK });
  content.on('data', (d) => (counter.bytes += d.length));
  content.on('error', (err) => pack.destroy(err));
  content.pipe(
    pack.entry({ name: as ?? basename(hostPath), size: st.size, mode: st.mode & 0o777, mtime: st.mtime }, (err) => (err ? pack.destroy(err) : pack.finalize())),
  );
  return { archive: Readable.from(pack as unknown as AsyncIterable<Buffer>), isDir: false };
}

/** Where a file copied out lands: `hostPath`, or `hostPath/<its name>` when that is a directory (as `docker cp`). */
async function hostFileTarget(hostPath: string, containerPath: string): Promise<string> {
  const st = await stat(hostPath).catch(() => undefined);
  return st?.isDirectory() ? join(hostPath, basename(containerPath)) : hostPath;
}

/**
 * Writes the one file of a tar archive to the host, at `hostPath` or into it when it is a
 * directory, with the archive's mode and mtime. The content goes to a temporary file
 * beside the target (created exclusively, never through a symlink) that is renamed into
 * place at the end; on failure it is removed and the target is untouched.
 * Returns the content's bytes.
 */
async function unpackFileToHost(body: ArchiveBody, containerPath: string, hostPath: string): Promise<CopyResult> {
  const target = await hostFileTarget(hostPath, containerPath);
  const tmp = join(dirname(target), `.berth-cp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new BerthError('NotFound', `host directory ${dirname(target)} does not exist`, { details: { hostPath } }) : err;
  });
  try {
    const writer = new TarFileWriter(fh.fd, containerPath);
    await body.drain((piece) => writer.feed(piece));
    writer.end();
    await fh.chmod(writer.mode);
    await fh.close();
    if (writer.mtime !== undefined) await utimes(tmp, writer.mtime, writer.mtime);
    await rename(tmp, target);
    return { bytes: writer.bytes };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes an archive of a container path to the host: a directory's contents into
 * `hostPath` (created, extracted safely: see extractSafely), or its one file
 * (unpackFileToHost, straight from the body's pieces); `type` is the path's. Other types
 * are refused (InvalidArgument). The body is always closed: unread, an engine's archive
 * holds the container (Docker waits for it on remove). Bytes: a file's content, else the
 * archive's.
 */
export async function copyToHost(body: ArchiveBody, type: FileType, containerPath: string, hostPath: string): Promise<CopyResult> {
  try {
    if (type === 'symlink' || type === 'other') {
      throw new BerthError('InvalidArgument', `${containerPath} is a ${type === 'other' ? 'special file' : 'symlink'}; copyOut copies regular files and directories (copy a link's target by its own path)`, {
        details: { path: containerPath, type },
      });
    }
    if (type === 'file') return await unpackFileToHost(body, containerPath, hostPath);
    const counter = { bytes: 0 };
    await extractSafely(counted(body.stream(), counter), hostPath, { strip: 1 });
    return counter;
  } finally {
    body.close();
  }
}
