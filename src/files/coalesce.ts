import { Transform } from 'node:stream';

/** Bytes gathered before each write: the engine sends ~20 KB chunks, and a syscall per chunk is slow. */
export const WRITE_CHUNK = 1024 * 1024;

/** A Transform that passes data on in chunks of about `size` bytes. */
export function coalesce(size: number = WRITE_CHUNK): Transform {
  let parts: Buffer[] = [];
  let held = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
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
