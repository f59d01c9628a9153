import { Writable } from 'node:stream';

/**
 * A Writable that keeps the first `maxBytes` it is given and counts (then drops)
 * the rest, so output is never buffered without bound.
 */
export class CappedCollector extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or dropped. */
  total = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.total += chunk.length;
    const room = this.maxBytes - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    callback();
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}
