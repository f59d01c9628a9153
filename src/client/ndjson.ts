/** Splits a byte stream into its non-empty lines (NDJSON), whatever the chunk boundaries (UTF-8 safe). */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete lines `chunk` finishes. */
  push(chunk: Buffer): string[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (nl > start) out.push(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    this.pending = buf.subarray(start);
    return out;
  }

  /** A last line without a newline, if any. */
  end(): string[] {
    const last = this.pending.length ? [this.pending.toString('utf8')] : [];
    this.pending = Buffer.alloc(0);
    return last;
  }
}
