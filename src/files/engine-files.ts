import type { Readable } from 'node:stream';
import type { Engine, InspectInfo } from '../engine/engine.js';
import type { SandboxFiles } from '../session/sandbox.js';
import type { ContainerFiles } from './container-files.js';
import type { ExecTarFiles } from './exec-tar-files.js';
import type { FileEntry, FileToWrite, FileType } from './file-entry.js';
import type { CopyResult, CopyToHostOptions } from './host-copy.js';

/** Containers whose tmpfs mount points are remembered (they never change for a container). */
const CACHED_CONTAINERS = 512;

/** The tmpfs mount points of a container, from its inspect: `HostConfig.Tmpfs` and tmpfs `Mounts`. */
export function tmpfsMountsOf(info: InspectInfo): string[] {
  const declared = Object.keys(info.HostConfig?.Tmpfs ?? {});
  const mounts = (info.Mounts ?? []).filter((m) => (m as { Type?: string }).Type === 'tmpfs').map((m) => m.Destination);
  return [...new Set([...declared, ...mounts])];
}

/** `a` is `b` or lies under it. */
const under = (a: string, b: string) => a === b || b === '/' || a.startsWith(`${b}/`);

/**
 * File operations on a container, decided per path: through the engine's archive
 * endpoints (no tools needed in the image), except where a path is on a tmpfs mount, or
 * has one below it, which those endpoints cannot see (Docker reads the container's
 * image layers and volumes, not mounts made inside it): there through tar run in the
 * container (ExecTarFiles), which sees what a command in the session sees.
 */
export class EngineFiles implements SandboxFiles {
  private readonly mounts = new Map<string, string[]>();

  constructor(
    private readonly engine: Pick<Engine, 'inspectContainer'>,
    private readonly archive: ContainerFiles,
    /** The exec'd-tar side, also used to carry tmpfs contents into a fork. */
    readonly execTar: ExecTarFiles,
  ) {}

  /** The container's tmpfs mount points. */
  async tmpfsMounts(id: string): Promise<string[]> {
    const known = this.mounts.get(id);
    if (known) return known;
    const found = tmpfsMountsOf(await this.engine.inspectContainer(id));
    if (this.mounts.size >= CACHED_CONTAINERS) this.mounts.delete(this.mounts.keys().next().value as string);
    this.mounts.set(id, found);
    return found;
  }

  /** Which side handles these paths: exec'd tar when any is on, or above, a tmpfs. */
  private async via(id: string, ...paths: string[]): Promise<SandboxFiles> {
    const tmpfs = await this.tmpfsMounts(id);
    return paths.some((p) => tmpfs.some((m) => under(p, m) || under(m, p))) ? this.execTar : this.archive;
  }

  async stat(id: string, path: string): Promise<FileEntry> {
    return (await this.via(id, path)).stat(id, path);
  }

  async mkdirp(id: string, dir: string): Promise<void> {
    return (await this.via(id, dir)).mkdirp(id, dir);
  }

  async writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }> {
    return (await this.via(id, ...files.map((f) => f.path))).writeFiles(id, files);
  }

  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer> {
    return (await this.via(id, path)).readFile(id, path, maxBytes);
  }

  async list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]> {
    return (await this.via(id, dir)).list(id, dir, recursive);
  }

  async remove(id: string, path: string, recursive: boolean): Promise<void> {
    return (await this.via(id, path)).remove(id, path, recursive);
  }

  async exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }> {
    return (await this.via(id, path)).exportArchive(id, path);
  }

  async importArchive(id: string, dir: string, archive: Readable): Promise<void> {
    return (await this.via(id, dir)).importArchive(id, dir, archive);
  }

  async copyOut(id: string, path: string, hostPath: string, options: CopyToHostOptions = {}): Promise<CopyResult> {
    return (await this.via(id, path)).copyOut(id, path, hostPath, options);
  }
}
