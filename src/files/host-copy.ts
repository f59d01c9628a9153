import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import tarFs from 'tar-fs';
import tar from 'tar-stream';
import { BerthError } from '../common/errors.js';
import { coalesce, WRITE_CHUNK } from './coalesce.js';
import { planCopy } from './cp-rules.js';
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
 * A tar stream of a host path: one file named `as` (default its own name), or a directory
 * under the name `as`, or, without `as`, the directory's contents.
 * Counts bytes into `counter.bytes` (the archive's for a directory, the content's for a file).
 * One file streams straight from a 1 MiB-chunk read into the archive: the 100 MB case.
 */
export async function packHostPath(hostPath: string, as: string | undefined, counter: CopyResult): Promise<{ archive: Readable; isDir: boolean }> {
  const st = await stat(hostPath).catch(() => undefined);
  if (!st) throw new BerthError('NotFound', `host path ${hostPath} does not exist`, { details: { hostPath } });
  if (st.isDirectory()) {
    const pack = tarFs.pack(hostPath, { umask: 0, ...(as === undefined ? {} : { map: (h: tarFs.Headers) => ({ ...h, name: posix.join(as, h.name) }) }) } as tarFs.PackOptions);
    return { archive: counted(pipeline(Readable.from(pack as AsyncIterable<Buffer>), coalesce(), () => undefined), counter), isDir: true };
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

export interface CopyToHostOptions {
  /** The container path as typed (a trailing `/` or `/.` matters); default the resolved path. */
  src?: string;
  /** Aborts the copy: the body is closed and nothing is left beside the target. */
  signal?: AbortSignal;
}

/** The type of a host path, following links (as docker cp does for its destination). */
async function hostType(path: string): Promise<FileType | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
}

function aborted(): BerthError {
  return new BerthError('Conflict', 'the copy was cancelled; nothing was left beside the target', { details: { cancelled: true } });
}

/**
 * Writes the one file of a tar archive to `target`, with the archive's mode and mtime.
 * The content goes to a temporary file beside the target (created exclusively, never
 * through a symlink) that is renamed into place at the end; on failure or abort it is
 * removed and the target is untouched. Returns the content's bytes.
 */
async function unpackFileToHost(body: ArchiveBody, containerPath: string, target: string, signal: AbortSignal | undefined): Promise<CopyResult> {
  if (signal?.aborted) throw aborted();
  const tmp = join(dirname(target), `.berth-cp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new BerthError('NotFound', `host directory ${dirname(target)} does not exist`, { details: { hostPath: target } }) : err;
  });
  let stopped = false;
  const onAbort = () => {
    stopped = true;
    body.close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    const writer = new TarFileWriter(fh.fd, containerPath);
    await body.drain((piece) => writer.feed(piece));
    if (stopped) throw aborted();
    writer.end();
    await fh.chmod(writer.mode);
    await fh.close();
    if (writer.mtime !== undefined) await utimes(tmp, writer.mtime, writer.mtime);
    await rename(tmp, target);
    return { bytes: writer.bytes };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw stopped ? aborted() : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Writes an archive of a container path (`containerPath`, resolved; `type` is its type)
 * to the host by docker cp's rules (see planCopy): a file to `hostPath` or into it when
 * it is a directory (unpackFileToHost, straight from the body's pieces); a directory as
 * `hostPath` when missing, else into it under its own name, or only its contents for
 * `SRC/.` (extracted safely: see extractSafely). Links and special files are refused
 * (InvalidArgument). The body is always closed: unread, an engine's archive holds the
 * container (Docker waits for it on remove). Bytes: a file's content, else the archive's.
 */
export async function copyToHost(body: ArchiveBody, type: FileType, containerPath: string, hostPath: string, o: CopyToHostOptions = {}): Promise<CopyResult> {
  try {
    const plan = await planCopy({ src: o.src ?? containerPath, srcResolved: containerPath, srcType: type, dest: hostPath, destResolved: resolve(hostPath), typeAt: hostType });
    const target = plan.as === undefined ? plan.into : join(plan.into, plan.as);
    if (type === 'file') return await unpackFileToHost(body, containerPath, target, o.signal);
    const counter = { bytes: 0 };
    const onAbort = () => body.close();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await extractSafely(counted(body.stream(), counter), target, { strip: 1 });
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    if (o.signal?.aborted) throw aborted();
    return counter;
  } finally {
    body.close();
  }
}
