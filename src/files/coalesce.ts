import { Transform } from 'node:stream';

/** Bytes gathered before each write: the engine sends ~20 KB chunks, and a syscall per chunk is slow. */
export const WRITE_CHUNK = 1024 * 1024;

/** A Transform that passes data on in chunks of about `size` bytes. */
export function coalesce(size: number = WRITE_CHUNK): Transform {
  let parts: Buffer[] = [];
  let held = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      // Already large enough for one write: no copy.
      if (held === 0 && chunk.length >= size / 4) return callback(null, chunk);
      parts.push(chunk);
      held += chunk.length;
      if (held < size) return callback();
      const out = Buffer.concat(parts, held);
      parts = [];
      held = 0;
      callback(null, out);
    },
    flush(callback) {
      callback(null, held ? Buffer.concat(parts, held) : undefined);
    },
  });
}
