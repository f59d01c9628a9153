import { BerthError } from '../common/errors.js';
import type { FileEntry, FileToWrite, FileType } from '../files/file-entry.js';
import type { FilesApi, ImportResult, WriteResult } from '../files/files-api.js';
import type { CopyResult } from '../files/host-copy.js';
import type { SafeExtractResult } from '../files/safe-extract.js';
import type { OpMetrics } from '../store/op-metrics-repository.js';
import { call, errorFrom, getLarge, open, query, readBytes, type Endpoint, seg } from './http.js';

/**
 * The files API through the daemon. Archives stream; export extracts safely on this host.
 * The tar code loads only when an archive is moved, so the CLI's other verbs start fast.
 */
export class FilesClient implements FilesApi {
  constructor(private readonly ep: Endpoint) {}

  writeFile(session: string, path: string, content: string | Buffer, options: { mode?: number } = {}): Promise<WriteResult> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    return call(this.ep, 'PUT', `/v1/sessions/${seg(session)}/files?${query({ path, mode: options.mode })}`, { contentType: 'application/octet-stream', data });
  }

  writeFiles(session: string, files: FileToWrite[]): Promise<WriteResult> {
    const body = {
      files: files.map((f) => ({
        path: f.path,
        ...(typeof f.content === 'string' ? { content: f.content } : { content: f.content.toString('base64'), encoding: 'base64' }),
        ...(f.mode !== undefined ? { mode: f.mode } : {}),
      })),
    };
    return call(this.ep, 'POST', `/v1/sessions/${seg(session)}/files`, body);
  }

  async readFile(session: string, path: string, options: { maxBytes?: number } = {}): Promise<Buffer> {
    const res = await open(this.ep, 'GET', `/v1/sessions/${seg(session)}/files?${query({ path, maxBytes: options.maxBytes })}`);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return readBytes(res);
  }

  async deleteFile(session: string, path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await call(this.ep, 'DELETE', `/v1/sessions/${seg(session)}/files?${query({ path, recursive: options.recursive })}`);
  }

  listDirectory(session: string, path: string, options: { recursive?: boolean } = {}): Promise<FileEntry[]> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(session)}/dir?${query({ path, recursive: options.recursive })}`);
  }

  stat(session: string, path: string): Promise<FileEntry> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(session)}/stat?${query({ path })}`);
  }

  async mkdir(session: string, path: string): Promise<void> {
    await call(this.ep, 'POST', `/v1/sessions/${seg(session)}/mkdir`, { path });
  }

  async exportDirectory(session: string, containerDir: string, hostDir: string): Promise<SafeExtractResult> {
    const res = await open(this.ep, 'GET', `/v1/sessions/${seg(session)}/archive?${query({ path: containerDir })}`);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    const { extractSafely } = await import('../files/safe-extract.js');
    return extractSafely(res, hostDir, { strip: 1 });
  }

  async importDirectory(session: string, hostDir: string, containerDir: string): Promise<ImportResult> {
    const { stat } = await import('node:fs/promises');
    const st = await stat(hostDir).catch(() => undefined);
    if (!st?.isDirectory()) throw new BerthError('NotFound', `host directory ${hostDir} does not exist`, { details: { hostDir } });
    const { packHostPath } = await import('../files/host-copy.js');
    const counter = { bytes: 0 };
    const { archive } = await packHostPath(hostDir, undefined, counter);
    await call(this.ep, 'PUT', `/v1/sessions/${seg(session)}/archive?${query({ path: containerDir })}`, { contentType: 'application/x-tar', data: archive });
    return counter;
  }

  async copyOut(session: string, containerPath: string, hostPath: string, options: { signal?: AbortSignal } = {}): Promise<CopyResult> {
    const r = await getLarge(this.ep, `/v1/sessions/${seg(session)}/archive?${query({ path: containerPath })}`);
    const { copyToHost } = await import('../files/host-copy.js');
    const type = (r.headers['x-berth-path-type'] ?? 'other') as FileType;
    const resolved = r.headers['x-berth-path'] ? decodeURIComponent(r.headers['x-berth-path']) : containerPath;
    return copyToHost(r.body, type, resolved, hostPath, { src: containerPath, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** The session side resolves the destination (its base dir); the rules are applied here, where the host path is. */
  async copyIn(session: string, hostPath: string, containerPath: string): Promise<CopyResult> {
    const [{ copyHostPathIn, typeOrUndefined }, { posix }] = await Promise.all([import('../files/copy-in.js'), import('node:path')]);
    const s = await call<{ baseDir: string }>(this.ep, 'GET', `/v1/sessions/${seg(session)}`);
    return copyHostPathIn(hostPath, {
      dest: containerPath,
      destResolved: posix.resolve(s.baseDir, containerPath),
      typeAt: (p) => typeOrUndefined(() => this.stat(session, p)),
      put: async (dir, archive) => {
        await call(this.ep, 'PUT', `/v1/sessions/${seg(session)}/archive?${query({ path: dir })}`, { contentType: 'application/x-tar', data: archive });
      },
    });
  }

  metrics(): Promise<OpMetrics[]> {
    return call(this.ep, 'GET', '/v1/files/metrics');
  }
}
