import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { BerthError } from '../common/errors.js';
import { readableBody } from '../common/socket-get.js';
import type { SandboxFiles } from '../session/sandbox.js';
import type { FileEntry, FileToWrite, FileType } from './file-entry.js';
import { copyToHost, type CopyResult, type CopyToHostOptions } from './host-copy.js';
import type { SandboxExec } from './sandbox-exec.js';
import { listArchive, packFiles, readFirstFile } from './tar.js';

/** Limit on one helper command (a tar of a whole tmpfs included): 10 minutes. */
const HELPER_TIMEOUT_MS = 600_000;
/** Exit code of the helper scripts for "no such path". */
const MISSING = 3;
/** Exit code of the helper scripts for "exists and is not a directory". */
const NOT_DIR = 4;

/** `stat` of one path without following it: `<hex mode> <size> <mtime s>`, then the link target for a link. */
const STAT = `[ -e "$1" ] || [ -L "$1" ] || exit ${MISSING}
stat -c '%f %s %Y' -- "$1" || exit 1
if [ -L "$1" ]; then readlink -- "$1"; fi`;

/** Names of a directory's entries (dot files included) as arguments, then `"$@"` runs with them. */
const ENTRIES = `cd -- "$1" || exit ${MISSING}
shift
for f in * .*; do
  case "$f" in .|..) continue ;; esac
  if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "./$f"; fi
done`;

const MKDIR = `if [ -e "$1" ] && [ ! -d "$1" ]; then exit ${NOT_DIR}; fi
mkdir -p -- "$1"`;

const wholeRoot = () =>
  new BerthError('InvalidArgument', 'the whole of / cannot be read from inside a session with tmpfs mounts (it would take in /proc and /sys); name a directory below it', {
    details: { path: '/' },
  });

function typeFromUnixMode(mode: number): FileType {
  const fmt = mode & 0o170000;
  return fmt === 0o040000 ? 'directory' : fmt === 0o100000 ? 'file' : fmt === 0o120000 ? 'symlink' : 'other';
}

/**
 * File operations through `tar`, `stat`, `mkdir` and `rm` run inside the sandbox
 * (SandboxExec): they see exactly what a command in the session sees, tmpfs mounts
 * included, as the session's user. Needs those tools in the image (busybox or a Debian
 * userland have them). Paths are absolute and already checked by the caller.
 */
export class ExecTarFiles implements SandboxFiles {
  constructor(private readonly exec: SandboxExec) {}

  /** Runs a helper to its end, its output kept (small outputs only). */
  private async run(id: string, cmd: string[], stdin?: Readable): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const c = await this.exec.run(id, { cmd, ...(stdin ? { stdin } : {}), timeoutMs: HELPER_TIMEOUT_MS });
    const chunks: Buffer[] = [];
    for await (const piece of c.stdout) chunks.push(piece as Buffer);
    const r = await c.done;
    return { ...r, stdout: Buffer.concat(chunks).toString('utf8') };
  }

  private failed(what: string, path: string, r: { exitCode: number; stderr: string }): BerthError {
    if (r.exitCode === MISSING) return new BerthError('NotFound', `${path} does not exist in the session`, { details: { path } });
    return new BerthError('Conflict', `${what} ${path} failed in the session (exit ${r.exitCode}): ${r.stderr || 'no message'}`, { details: { path, exitCode: r.exitCode } });
  }

  async stat(id: string, path: string): Promise<FileEntry> {
    const r = await this.run(id, ['sh', '-c', STAT, 'sh', path]);
    if (r.exitCode !== 0) throw this.failed('stat', path, r);
    const [head = '', ...rest] = r.stdout.split('\n');
    const m = /^([0-9a-f]{1,8}) (\d{1,20}) (\d{1,15})$/.exec(head);
    if (!m) throw new BerthError('Internal', `stat ${path} in the session answered ${JSON.stringify(head.slice(0, 80))}, not "<mode> <size> <mtime>"; is stat in the image a real one?`, { details: { path } });
    const [, hex = '', size, mtime] = m;
    const mode = Number.parseInt(hex, 16);
    const type = typeFromUnixMode(mode);
    const linkTarget = type === 'symlink' ? rest.join('\n').replace(/\n$/, '') : '';
    return {
      name: posix.basename(path) || '/',
      path,
      type,
      size: type === 'directory' ? 0 : Number(size),
      mode: mode & 0o777,
      mtime: new Date(Number(mtime) * 1000).toISOString(),
      ...(linkTarget ? { linkTarget } : {}),
    };
  }

  async mkdirp(id: string, dir: string): Promise<void> {
    const r = await this.run(id, ['sh', '-c', MKDIR, 'sh', dir]);
    if (r.exitCode === NOT_DIR) throw new BerthError('Conflict', `${dir} exists and is not a directory`, { details: { path: dir } });
    if (r.exitCode !== 0) throw this.failed('mkdir -p', dir, r);
  }

  async writeFiles(id: string, files: FileToWrite[]): Promise<{ files: number; bytes: number }> {
    if (!files.length) return { files: 0, bytes: 0 };
    let root = posix.dirname(files[0]!.path);
    for (const f of files) while (!(posix.dirname(f.path) + '/').startsWith(root === '/' ? '/' : `${root}/`)) root = posix.dirname(root);
    await this.importArchive(id, root, packFiles(root, files));
    const bytes = files.reduce((n, f) => n + (typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length), 0);
    return { files: files.length, bytes };
  }

  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer> {
    const st = await this.stat(id, path);
    if (st.type === 'directory') throw new BerthError('InvalidArgument', `${path} is a directory; use listDirectory or exportDirectory`, { details: { path } });
    if (st.size > maxBytes) {
      throw new BerthError('InvalidArgument', `${path} is ${st.size} bytes, over maxBytes ${maxBytes}; raise maxBytes or use exportDirectory`, {
        details: { path, size: st.size, maxBytes },
      });
    }
    return readFirstFile(await this.tarOf(id, path), path, maxBytes);
  }

  async list(id: string, dir: string, recursive: boolean): Promise<FileEntry[]> {
    const st = await this.stat(id, dir);
    if (st.type !== 'directory') throw new BerthError('InvalidArgument', `${dir} is not a directory`, { details: { path: dir } });
    if (recursive && dir === '/') throw wholeRoot();
    const cmd = recursive
      ? ['tar', '-c', '-f', '-', '-C', dir, '.']
      : ['sh', '-c', `${ENTRIES}\nexec tar -c -f - --no-recursion -- . "$@"`, 'sh', dir];
    return listArchive(await this.stream(id, cmd, dir), dir, recursive);
  }

  async remove(id: string, path: string, recursive: boolean): Promise<void> {
    const st = await this.stat(id, path);
    if (st.type === 'directory' && !recursive) {
      throw new BerthError('Conflict', `${path} is a directory; pass recursive: true to delete it and everything in it`, { details: { path } });
    }
    const r = await this.run(id, ['rm', recursive ? '-rf' : '-f', '--', path]);
    if (r.exitCode !== 0) throw this.failed('rm', path, r);
  }

  async exportArchive(id: string, path: string): Promise<{ archive: Readable; type: FileType }> {
    const st = await this.stat(id, path);
    return { archive: await this.tarOf(id, path), type: st.type };
  }

  async importArchive(id: string, dir: string, archive: Readable): Promise<void> {
    await this.mkdirp(id, dir);
    const r = await this.run(id, ['tar', '-x', '-o', '-f', '-', '-C', dir], archive);
    if (r.exitCode !== 0) throw this.failed('extracting into', dir, r);
  }

  async copyOut(id: string, path: string, hostPath: string, options: CopyToHostOptions = {}): Promise<CopyResult> {
    const { archive, type } = await this.exportArchive(id, path);
    return copyToHost(readableBody(archive), type, path, hostPath, options);
  }

  /**
   * Copies what is inside `dir` of sandbox `from` into `dir` of sandbox `to` (entries
   * only: the directory itself, a mount point, keeps its owner and mode). Streams.
   */
  async copyContents(from: string, to: string, dir: string): Promise<void> {
    const count = await this.run(from, ['sh', '-c', `${ENTRIES}\necho $#`, 'sh', dir]);
    if (count.exitCode !== 0) throw this.failed('listing', dir, count);
    if (count.stdout.trim() === '0') return;
    const archive = await this.stream(from, ['sh', '-c', `${ENTRIES}\nexec tar -c -f - -- "$@"`, 'sh', dir], dir);
    await this.importArchive(to, dir, archive);
  }

  /**
   * A tar of `path` as the engine's archive endpoint makes it: entries start with its own
   * name. Not of `/`: from inside, that would take in /proc and /sys.
   */
  private tarOf(id: string, path: string): Promise<Readable> {
    if (path === '/') throw wholeRoot();
    return this.stream(id, ['tar', '-c', '-f', '-', '-C', posix.dirname(path), '--', posix.basename(path)], path);
  }

  /** A helper's stdout as a stream that fails when the helper does. */
  private async stream(id: string, cmd: string[], path: string): Promise<Readable> {
    const c = await this.exec.run(id, { cmd, timeoutMs: HELPER_TIMEOUT_MS });
    const out = new PassThrough();
    c.stdout.pipe(out, { end: false });
    c.stdout.once('end', () => {
      void c.done.then(
        (r) => (r.exitCode === 0 ? out.end() : out.destroy(this.failed('tar of', path, r))),
        (err: unknown) => out.destroy(BerthError.from(err)),
      );
    });
    return out;
  }
}
