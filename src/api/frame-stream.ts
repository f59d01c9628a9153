import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { BerthError } from '../common/errors.js';
import { encodeFrame, type Frame } from './frames.js';

export interface FrameStreamOptions {
  stdout: Readable;
  stderr: Readable;
  /** The closing frame, asked for once both streams ended. */
  last: () => Promise<Frame>;
  /** Called once when the client hangs up before the closing frame (kill the exec, close the logs). */
  onHangUp?: () => void;
}

/**
 * Streams stdout/stderr as NDJSON frames until both end, then `last()`'s frame.
 * Backpressure: when the client reads slower than the sources produce, the sources are
 * paused until the response drains, so nothing piles up in the daemon (the exec's own
 * output then waits in the engine, and the process blocks on its pipe). After a hang-up
 * the sources are drained and dropped, so a command left running never stalls.
 */
export async function streamFrames(reply: FastifyReply, o: FrameStreamOptions): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  // Sent now, not with the first output: the client learns at once that the command started.
  res.flushHeaders();
  const sources = [o.stdout, o.stderr];
  const paused = new Set<Readable>();
  let done = false;
  res.on('drain', () => {
    for (const s of paused) s.resume();
    paused.clear();
  });
  res.once('close', () => {
    if (!done) o.onHangUp?.();
    for (const s of sources) s.resume();
    paused.clear();
  });
  const write = (f: Frame, from?: Readable) => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.write(encodeFrame(f)) && from) {
      from.pause();
      paused.add(from);
    }
  };
  const pump = (s: Readable, key: 'o' | 'e') =>
    new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => write(key === 'o' ? { o: d.toString('base64') } : { e: d.toString('base64') }, s));
      s.once('end', resolve);
      s.once('close', resolve);
      s.once('error', () => resolve());
    });
  await Promise.all([pump(o.stdout, 'o'), pump(o.stderr, 'e')]);
  try {
    write(await o.last());
  } catch (err) {
    write({ error: BerthError.from(err).toJSON() });
  }
  done = true;
  res.end();
}
