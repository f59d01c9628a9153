import { finished, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../common/errors.js';
import { readableBody, socketGet, type ArchiveBody } from '../common/socket-get.js';
import { modemAddress } from './connect.js';

/** What the engine's archive endpoint says of a path. `mode` carries Go's file-type bits. */
export interface ArchiveStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** How long an upload may send nothing before it is cut, in ms. */
const PUT_IDLE_MS = 120_000;

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

function statFromHeader(headers: Record<string, string | undefined>, path: string): ArchiveStat {
  const raw = headers['x-docker-container-path-stat'];
  if (!raw) throw new BerthError('Internal', `the engine gave no stat for ${path}`);
  return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as ArchiveStat;
}

/**
 * Archive calls of the engine boundary (reached as `engine.archives`): tar archives into
 * and out of a container, and the stat of a path. Reads go over a bare socket
 * (common/socket-get.ts); through dockerode only for TLS endpoints.
 */
export class EngineArchives {
  constructor(
    private readonly docker: Docker,
    private readonly call: Call,
  ) {}

  /**
   * Extracts a tar archive (stream or Buffer) into the container at `path` (a directory
   * that exists). The engine holds the container while it reads (Docker locks it: no
   * inspect, stop or rm meanwhile), so the request ends at once when the stream fails or
   * closes before its end, when `signal` aborts, or when no byte has come for `idleMs`
   * (default 120 s): the engine then drops the half-read archive and frees the container.
   */
  async put(id: string, path: string, archive: Readable | Buffer, o: { signal?: AbortSignal; idleMs?: number } = {}): Promise<void> {
    const what = `copy into container ${id} at ${path}`;
    if (Buffer.isBuffer(archive)) {
      await this.call(what, () => this.docker.getContainer(id).putArchive(archive as never, { path, abortSignal: AbortSignal.any([AbortSignal.timeout(o.idleMs ?? PUT_IDLE_MS), ...(o.signal ? [o.signal] : [])]) } as never));
      return;
    }
    const abort = new AbortController();
    const cut = (code: 'Timeout' | 'InvalidArgument', why: string) => abort.abort(new BerthError(code, `${what}: ${why}; the engine dropped the partial archive`));
    const idleMs = o.idleMs ?? PUT_IDLE_MS;
    let idle = setTimeout(() => cut('Timeout', `no data for ${idleMs} ms`), idleMs);
    const onData = () => {
      clearTimeout(idle);
      idle = setTimeout(() => cut('Timeout', `no data for ${idleMs} ms`), idleMs);
    };
    archive.on('data', onData);
    const onSignal = () => cut('Timeout', 'the caller gave up');
    o.signal?.addEventListener('abort', onSignal, { once: true });
    const stopWatching = finished(archive, (err) => {
      if (err) cut('InvalidArgument', `the archive stream ended before its end (${err.message})`);
    });
    try {
      await this.call(what, () => this.docker.getContainer(id).putArchive(archive as never, { path, abortSignal: abort.signal } as never)).catch((err: unknown) => {
        throw abort.signal.aborted ? (abort.signal.reason as BerthError) : err;
      });
    } finally {
      clearTimeout(idle);
      archive.off('data', onData);
      o.signal?.removeEventListener('abort', onSignal);
      stopWatching();
      if (!archive.readableEnded) archive.destroy();
    }
  }

  /**
   * The archive of `path` in the container (a tar of a file, or of a directory and
   * everything under it) and the path's stat, from one request.
   */
  async open(id: string, path: string): Promise<{ body: ArchiveBody; stat: ArchiveStat }> {
    return this.call(`copy ${path} out of container ${id}`, async () => {
      const address = modemAddress(this.docker);
      if ('tls' in address && address.tls) {
        const res = (await this.docker.getContainer(id).getArchive({ path })) as unknown as Readable & { headers: Record<string, string | undefined> };
        return { body: readableBody(res), stat: statFromHeader(res.headers, path) };
      }
      const r = await socketGet(address, `/containers/${encodeURIComponent(id)}/archive?${new URLSearchParams({ path })}`);
      try {
        return { body: r.body, stat: statFromHeader(r.headers, path) };
      } catch (err) {
        r.body.close();
        throw err;
      }
    });
  }

  /** As `open`, with the archive as a stream. */
  async get(id: string, path: string): Promise<{ archive: Readable; stat: ArchiveStat }> {
    const { body, stat } = await this.open(id, path);
    return { archive: body.stream(), stat };
  }

  /** Stat of a path in the container (from the archive endpoint's header); `NotFound` when missing. */
  async stat(id: string, path: string): Promise<ArchiveStat> {
    const res = (await this.call(`stat ${path} in container ${id}`, () => this.docker.getContainer(id).infoArchive({ path }))) as unknown as {
      headers: Record<string, string | undefined>;
      resume?: () => void;
    };
    res.resume?.();
    return statFromHeader(res.headers, path);
  }
}
