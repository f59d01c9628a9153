import { writeSync } from 'node:fs';
import { BerthError } from '../common/errors.js';

const BLOCK = 512;
/** Content is gathered into a reused buffer of this size before each write. */
const STAGING = 1024 * 1024;

const TYPE_FILE = new Set([0, 0x30, 0x37]); // NUL, '0', '7' (contiguous)
const TYPE_PAX = 0x78; // 'x': extended header for the next entry
const SKIPPED = new Set([0x67, 0x4c, 0x4b]); // 'g' global header, 'L'/'K' GNU long name/link
const TYPE_NAMES: Record<number, string> = { 0x31: 'hard link', 0x32: 'symlink', 0x33: 'character device', 0x34: 'block device', 0x35: 'directory', 0x36: 'FIFO' };

/**
 * Writes the one regular file of a tar archive to a file descriptor, fed in pieces,
 * synchronously. This is copyOut's path for a single file: no stream layers and one
 * reused staging buffer, so a 100 MB copy makes almost no garbage.
 *
 * Reads ustar and GNU headers (octal or base-256 sizes) and PAX `size`/`mtime` records.
 * An archive holding anything but one regular file is refused.
 */
export class TarFileWriter {
  /** Bytes of content written. */
  bytes = 0;
  /** The file's mtime from the archive (seconds since the epoch), once its header is read. */
  mtime: number | undefined;
  /** The file's permission bits from the archive (setuid and the like dropped). */
  mode = 0o644;
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private state: 'header' | 'pax' | 'skip' | 'content' | 'end' = 'header';
  /** Bytes left in the current pax data, skipped region or content. */
  private left = 0;
  /** Padding after the current content, to the next block. */
  private padding = 0;
  private pax: Buffer[] = [];
  private paxSize: number | undefined;
  private paxMtime: number | undefined;
  private seenFile = false;
  private readonly staging = Buffer.allocUnsafe(STAGING);
  private staged = 0;

  constructor(
    private readonly fd: number,
    /** The path in the container, for messages. */
    private readonly name: string,
  ) {}

  feed(piece: Buffer): void {
    let i = 0;
    while (i < piece.length) {
      switch (this.state) {
        case 'header': {
          const take = Math.min(BLOCK - this.headerFill, piece.length - i);
          piece.copy(this.header, this.headerFill, i, i + take);
          this.headerFill += take;
          i += take;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader();
          }
          break;
        }
        case 'content': {
          const take = Math.min(this.left, piece.length - i);
          this.stage(piece.subarray(i, i + take));
          i += take;
          this.left -= take;
          if (this.left === 0) this.skip(this.padding);
          break;
        }
        case 'pax': {
          const take = Math.min(this.left, piece.length - i);
          this.pax.push(Buffer.from(piece.subarray(i, i + take)));
          i += take;
          this.left -= take;
          if (this.left === 0) this.onPax();
          break;
        }
        case 'skip': {
          const take = Math.min(this.left, piece.length - i);
          i += take;
          this.left -= take;
          if (this.left === 0) this.state = 'header';
          break;
        }
        case 'end':
          return;
      }
    }
  }

  /** Writes what is staged; throws when the archive ended before its file did. */
  end(): void {
    if (!this.seenFile) throw new BerthError('Internal', `the engine's archive of ${this.name} held no file`);
    if (this.state === 'content' && this.left > 0) throw new BerthError('Internal', `the engine's archive of ${this.name} ended ${this.left} bytes early`);
    this.flush();
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.state = 'end';
      return;
    }
    if (checksum(h) !== octal(h, 148, 8)) throw new BerthError('Internal', `the engine's archive of ${this.name} has a damaged header`);
    const type = h[156]!;
    // PAX records describe the next real entry: not another PAX header, nor the GNU
    // long-name blocks between them, whose sizes are their own.
    const meta = type === TYPE_PAX || SKIPPED.has(type);
    const pax = meta ? {} : { size: this.paxSize, mtime: this.paxMtime };
    if (!meta) this.paxSize = this.paxMtime = undefined;
    const size = pax.size ?? numeric(h, 124, 12);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === TYPE_PAX) {
      this.pax = [];
      this.left = size;
      this.padding = padding;
      this.state = size ? 'pax' : 'header';
      return;
    }
    if (SKIPPED.has(type)) {
      this.skip(size + padding);
      return;
    }
    if (!TYPE_FILE.has(type)) {
      throw new BerthError('InvalidArgument', `${this.name} is a ${TYPE_NAMES[type] ?? `tar type ${String.fromCharCode(type)}`}; copyOut copies regular files and directories`, {
        details: { path: this.name },
      });
    }
    if (this.seenFile) throw new BerthError('Internal', `the engine's archive of ${this.name} held more than one file`);
    this.seenFile = true;
    this.mtime = pax.mtime ?? numeric(h, 136, 12);
    this.mode = octal(h, 100, 8) & 0o777;
    this.left = size;
    this.padding = padding;
    if (size === 0) this.skip(padding);
    else this.state = 'content';
  }

  /** Reads the PAX records `size` and `mtime` for the next entry; the rest are ignored. */
  private onPax(): void {
    const text = Buffer.concat(this.pax).toString('utf8');
    this.pax = [];
    let at = 0;
    while (at < text.length) {
      const space = text.indexOf(' ', at);
      const len = Number(text.slice(at, space));
      if (space < 0 || !Number.isSafeInteger(len) || len <= 0) break;
      const record = text.slice(space + 1, at + len - 1);
      const eq = record.indexOf('=');
      const key = record.slice(0, eq);
      const value = record.slice(eq + 1);
      if (key === 'size') this.paxSize = Number(value);
      if (key === 'mtime') this.paxMtime = Math.floor(Number(value));
      at += len;
    }
    this.skip(this.padding);
  }

  private skip(n: number): void {
    this.left = n;
    this.state = n ? 'skip' : 'header';
  }

  private stage(bytes: Buffer): void {
    this.bytes += bytes.length;
    if (this.staged === 0 && bytes.length >= STAGING / 2) {
      writeAll(this.fd, bytes);
      return;
    }
    let at = 0;
    while (at < bytes.length) {
      const n = bytes.copy(this.staging, this.staged, at);
      this.staged += n;
      at += n;
      if (this.staged === STAGING) this.flush();
    }
  }

  private flush(): void {
    if (this.staged) writeAll(this.fd, this.staging.subarray(0, this.staged));
    this.staged = 0;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function octal(h: Buffer, at: number, len: number): number {
  const text = h.toString('latin1', at, at + len).replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

/** A size or time field: octal, or GNU base-256 when the high bit of its first byte is set. */
function numeric(h: Buffer, at: number, len: number): number {
  if ((h[at]! & 0x80) === 0) return octal(h, at, len);
  let n = h[at]! & 0x7f;
  for (let i = at + 1; i < at + len; i++) n = n * 256 + h[i]!;
  return n;
}
