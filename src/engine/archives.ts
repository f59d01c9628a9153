import type { Readable } from 'node:stream';
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

  /** Extracts a tar archive (stream or Buffer) into the container at `path` (a directory that exists). */
  async put(id: string, path: string, archive: Readable | Buffer): Promise<void> {
    await this.call(`copy into container ${id} at ${path}`, () => this.docker.getContainer(id).putArchive(archive as never, { path }));
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
      return { body: r.body, stat: statFromHeader(r.headers, path) };
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
