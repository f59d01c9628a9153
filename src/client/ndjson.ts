import { BerthError } from '../common/errors.js';

/** Longest NDJSON line accepted: 16 MiB (the daemon's frames are a chunk of output each, tens of KiB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a byte stream into its non-empty lines (NDJSON), whatever the chunk boundaries
 * (UTF-8 safe). A line longer than `maxLineBytes` (default MAX_LINE_BYTES) is an error,
 * not a buffer that grows without end.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLineBytes: number = MAX_LINE_BYTES) {}

  /** The complete lines `chunk` finishes. */
  push(chunk: Buffer): string[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (nl - start > this.maxLineBytes) throw this.tooLong();
      if (nl > start) out.push(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    this.pending = buf.subarray(start);
    if (this.pending.length > this.maxLineBytes) throw this.tooLong();
    return out;
  }

  /** A last line without a newline, if any. */
  end(): string[] {
    const last = this.pending.length ? [this.pending.toString('utf8')] : [];
    this.pending = Buffer.alloc(0);
    return last;
  }

  private tooLong(): BerthError {
    this.pending = Buffer.alloc(0);
    return new BerthError('Internal', `a line of the NDJSON stream is over ${this.maxLineBytes} bytes; the stream is not one berth's daemon sends`, {
      details: { maxLineBytes: this.maxLineBytes },
    });
  }
}
