import { stat as hostStat } from 'node:fs/promises';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import { BerthError, invalidArgument } from '../common/errors.js';
import type { SessionManager } from '../session/session-manager.js';
import { problemsFromZod } from '../spec/validate.js';
import type { OpMetrics, OpMetricsRepository } from '../store/op-metrics-repository.js';
import type { FileEntry, FileToWrite, FileType } from './file-entry.js';
import { DEFAULT_MAX_READ_BYTES, MAX_WRITE_BYTES, type FilesApi, type ImportResult, type WriteResult } from './files-api.js';
import { copyHostPathIn, typeOrUndefined } from './copy-in.js';
import { counted, packHostPath, type CopyResult } from './host-copy.js';
import { extractSafely, type SafeExtractResult } from './safe-extract.js';
import type { SandboxFiles } from '../session/sandbox.js';
import { resolveSandboxPath } from './sandbox-path.js';

const fileSchema = z.strictObject({
  path: z.string().min(1),
  content: z.union([z.string(), z.instanceof(Buffer)]),
  mode: z.number().int().min(0).max(0o7777).optional(),
});
const filesSchema = z.array(fileSchema).min(1, 'must have at least one file').max(100_000);

/** The files API in-process: sessions resolved through the SessionManager, ops measured. */
export class SessionFiles implements FilesApi {
  constructor(
    private readonly sessions: SessionManager,
    private readonly opMetrics: OpMetricsRepository,
  ) {}

  private async measured<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await fn();
      this.opMetrics.record(kind, true, performance.now() - t0);
      return r;
    } catch (err) {
      this.opMetrics.record(kind, false, performance.now() - t0);
      throw err;
    }
  }

  private target(session: string, path: string): { id: string; path: string; files: SandboxFiles; baseDir: string } {
    const { session: s, id, files } = this.sessions.sandboxFor(session);
    return { id, files, baseDir: s.baseDir, path: resolveSandboxPath(path, { baseDir: s.baseDir, confine: s.confine }) };
  }

  async writeFile(session: string, path: string, content: string | Buffer, options: { mode?: number } = {}): Promise<WriteResult> {
    return this.writeFiles(session, [{ path, content, ...(options.mode !== undefined ? { mode: options.mode } : {}) }], 'writeFile');
  }

  async writeFiles(session: string, files: FileToWrite[], kind = 'writeFiles'): Promise<WriteResult> {
    return this.measured(kind, async () => {
      const r = filesSchema.safeParse(files);
      if (!r.success) throw invalidArgument(problemsFromZod(r.error).map((p) => ({ ...p, path: `files.${p.path}` })), 'files');
      const total = files.reduce((n, f) => n + (typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length), 0);
      if (total > MAX_WRITE_BYTES) {
        throw new BerthError('InvalidArgument', `${total} bytes is over the ${MAX_WRITE_BYTES}-byte limit of one write; use importDirectory for large trees`, {
          details: { bytes: total, limit: MAX_WRITE_BYTES },
        });
      }
      const { session: s, id, files: ops } = this.sessions.sandboxFor(session);
      const resolved = files.map((f) => ({ ...f, path: resolveSandboxPath(f.path, { baseDir: s.baseDir, confine: s.confine }) }));
      return ops.writeFiles(id, resolved);
    });
  }

  async readFile(session: string, path: string, options: { maxBytes?: number } = {}): Promise<Buffer> {
    return this.measured('readFile', async () => {
      const t = this.target(session, path);
      return t.files.readFile(t.id, t.path, options.maxBytes ?? DEFAULT_MAX_READ_BYTES);
    });
  }

  async deleteFile(session: string, path: string, options: { recursive?: boolean } = {}): Promise<void> {
    return this.measured('deleteFile', async () => {
      const t = this.target(session, path);
      if (t.path === t.baseDir || t.path === '/') throw new BerthError('PolicyDenied', `refusing to delete ${t.path}: it is the sandbox's base dir or root`, { details: { path: t.path } });
      await t.files.remove(t.id, t.path, options.recursive ?? false);
    });
  }

  async listDirectory(session: string, path: string, options: { recursive?: boolean } = {}): Promise<FileEntry[]> {
    return this.measured('listDirectory', async () => {
      const t = this.target(session, path);
      return t.files.list(t.id, t.path, options.recursive ?? false);
    });
  }

  async stat(session: string, path: string): Promise<FileEntry> {
    return this.measured('stat', async () => {
      const t = this.target(session, path);
      return t.files.stat(t.id, t.path);
    });
  }

  async mkdir(session: string, path: string): Promise<void> {
    return this.measured('mkdir', async () => {
      const t = this.target(session, path);
      await t.files.mkdirp(t.id, t.path);
    });
  }

  async exportDirectory(session: string, containerDir: string, hostDir: string): Promise<SafeExtractResult> {
    return this.measured('exportDirectory', async () => {
      const t = this.target(session, containerDir);
      const { archive, type } = await t.files.exportArchive(t.id, t.path);
      if (type !== 'directory') {
        archive.destroy();
        throw new BerthError('InvalidArgument', `${t.path} is not a directory; use copyOut for a file`, { details: { path: t.path } });
      }
      return extractSafely(archive, hostDir, { strip: 1 });
    });
  }

  /** The archive of a path as the engine gives it, the path's type and the path resolved (for the HTTP API's export). */
  async exportArchive(session: string, containerPath: string): Promise<{ archive: Readable; type: FileType; path: string }> {
    const t = this.target(session, containerPath);
    return { ...(await t.files.exportArchive(t.id, t.path)), path: t.path };
  }

  async copyOut(session: string, containerPath: string, hostPath: string, options: { signal?: AbortSignal } = {}): Promise<CopyResult> {
    return this.measured('copyOut', async () => {
      const t = this.target(session, containerPath);
      return t.files.copyOut(t.id, t.path, hostPath, { src: containerPath, ...(options.signal ? { signal: options.signal } : {}) });
    });
  }

  async copyIn(session: string, hostPath: string, containerPath: string): Promise<CopyResult> {
    return this.measured('copyIn', async () => {
      const t = this.target(session, containerPath);
      return copyHostPathIn(hostPath, {
        dest: containerPath,
        destResolved: t.path,
        typeAt: (p) => typeOrUndefined(() => t.files.stat(t.id, p)),
        put: (dir, archive) => t.files.importArchive(t.id, dir, archive),
      });
    });
  }

  /** Extracts a tar stream into a directory (for the HTTP API's import). */
  async importArchive(session: string, containerDir: string, archive: NodeJS.ReadableStream): Promise<void> {
    return this.measured('importDirectory', async () => {
      const t = this.target(session, containerDir);
      // pipeline, not pipe: a client hanging up (or a failed pack) destroys `body`, which ends the engine's request.
      const body = pipeline(archive as Readable, new PassThrough(), () => undefined);
      await t.files.importArchive(t.id, t.path, body);
    });
  }

  async importDirectory(session: string, hostDir: string, containerDir: string): Promise<ImportResult> {
    const st = await hostStat(hostDir).catch(() => undefined);
    if (!st?.isDirectory()) throw new BerthError('NotFound', `host directory ${hostDir} does not exist`, { details: { hostDir } });
    const { archive } = await packHostPath(hostDir, undefined, { bytes: 0 });
    const counter = { bytes: 0 };
    await this.importArchive(session, containerDir, counted(archive, counter));
    return counter;
  }

  async metrics(): Promise<OpMetrics[]> {
    return this.opMetrics.all();
  }
}
