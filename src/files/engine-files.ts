import type { Readable } from 'node:stream';
import { BerthError } from '../common/errors.js';
import type { Engine, InspectInfo } from '../engine/engine.js';
import type { SandboxFiles } from '../session/sandbox.js';
import type { ContainerFiles } from './container-files.js';
import { typeOrUndefined } from './copy-in.js';
import type { ExecTarFiles } from './exec-tar-files.js';
import type { FileEntry, FileToWrite, FileType } from './file-entry.js';
import type { CopyResult, CopyToHostOptions } from './host-copy.js';

/** Containers whose tmpfs mount points are remembered (they never change for a container). */
const CACHED_CONTAINERS = 512;

/** What the files API needs to know of a container's mounts; fixed for its life. */
export interface MountLayout {
  /** tmpfs mount points: `HostConfig.Tmpfs` and tmpfs `Mounts`. */
  tmpfs: string[];
  /** Where a write can land when the root is read-only: the tmpfs mounts and read-write mounts. */
  writable: string[];
  readOnlyRoot: boolean;
}

export function mountLayoutOf(info: InspectInfo): MountLayout {
  const mounts = (info.Mounts ?? []) as Array<{ Type?: string; Destination: string; RW?: boolean }>;
  const tmpfs = [...new Set([...Object.keys(info.HostConfig?.Tmpfs ?? {}), ...mounts.filter((m) => m.Type === 'tmpfs').map((m) => m.Destination)])];
  const writable = [...new Set([...tmpfs, ...mounts.filter((m) => m.RW !== false).map((m) => m.Destination)])];
  return { tmpfs, writable, readOnlyRoot: info.HostConfig?.ReadonlyRootfs === true };
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
  private readonly layouts = new Map<string, MountLayout>();

  constructor(
    private readonly engine: Pick<Engine, 'inspectContainer'>,
    private readonly archive: ContainerFiles,
    /** The exec'd-tar side, also used to carry tmpfs contents into a fork. */
    readonly execTar: ExecTarFiles,
  ) {}

  private async layout(id: string): Promise<MountLayout> {
    const known = this.layouts.get(id);
    if (known) return known;
    const found = mountLayoutOf(await this.engine.inspectContainer(id));
    if (this.layouts.size >= CACHED_CONTAINERS) this.layouts.delete(this.layouts.keys().next().value as string);
    this.layouts.set(id, found);
    return found;
  }

  /** The container's tmpfs mount points. */
  async tmpfsMounts(id: string): Promise<string[]> {
    return (await this.layout(id)).tmpfs;
  }

  /** Which side handles these paths: exec'd tar when any is on, or above, a tmpfs. */
  private async via(id: string, ...paths: string[]): Promise<SandboxFiles> {
    const { tmpfs } = await this.layout(id);
    return paths.some((p) => tmpfs.some((m) => under(p, m) || under(m, p))) ? this.execTar : this.archive;
  }

  /** As `via`, for a write: `PolicyDenied` when a path is on a read-only root, outside every writable mount. */
  private async viaForWrite(id: string, ...paths: string[]): Promise<SandboxFiles> {
    const l = await this.layout(id);
    const stuck = l.readOnlyRoot ? paths.find((p) => !l.writable.some((m) => under(p, m))) : undefined;
    if (stuck !== undefined) {
      throw new BerthError('PolicyDenied', `${stuck} is on the session's read-only root filesystem (the strict profile); write under ${l.writable.join(', ') || 'a mount'} instead`, {
        details: { path: stuck, writable: l.writable, rule: 'read-only root' },
      });
    }
    return this.via(id, ...paths);
  }

  async stat(id: string, path: string): Promise<FileEntry> {
    return (await this.via(id, path)).stat(id, path);
  }

  async mkdirp(id: string, dir: string): Promise<void> {
    const files = await this.via(id, dir);
    if ((await typeOrUndefined(() => files.stat(id, dir))) === 'directory') return;
    return (await this.viaForWrite(id, dir)).mkdirp(id, dir);
  }

  async writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }> {
    return (await this.viaForWrite(id, ...files.map((f) => f.path))).writeFiles(id, files);
  }

  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer> {
    return (await this.via(id, path)).readFile(id, path, maxBytes);
  }

  async list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]> {
    return (await this.via(id, dir)).list(id, dir, recursive);
  }

  async remove(id: string, path: string, recursive: boolean): Promise<void> {
    return (await this.viaForWrite(id, path)).remove(id, path, recursive);
  }

  async exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }> {
    return (await this.via(id, path)).exportArchive(id, path);
  }

  async importArchive(id: string, dir: string, archive: Readable): Promise<void> {
    return (await this.viaForWrite(id, dir)).importArchive(id, dir, archive);
  }

  async copyOut(id: string, path: string, hostPath: string, options: CopyToHostOptions = {}): Promise<CopyResult> {
    return (await this.via(id, path)).copyOut(id, path, hostPath, options);
  }
}
