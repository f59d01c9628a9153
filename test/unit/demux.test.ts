import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CappedCollector } from '../../src/exec/capped-collector.js';
import { createDemuxer } from '../../src/exec/demux.js';

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

async function collect(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of s) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

describe('createDemuxer', () => {
  it('splits frames into stdout and stderr even when chunks cut headers and payloads anywhere', async () => {
    const frames = [frame(1, Buffer.from('hello ')), frame(2, Buffer.from('oops')), frame(1, Buffer.from('world')), frame(2, Buffer.alloc(0))];
    const all = Buffer.concat(frames);
    for (const size of [1, 3, 7, 8, 9, 13, all.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      Readable.from(chunks).pipe(createDemuxer({ stdout, stderr }));
      const [o, e] = await Promise.all([collect(stdout), collect(stderr)]);
      expect(o.toString()).toBe('hello world');
      expect(e.toString()).toBe('oops');
    }
  });

  it('waits for a slow consumer instead of buffering without bound', async () => {
    const stdout = new PassThrough({ highWaterMark: 16 });
    const stderr = new PassThrough();
    const demux = createDemuxer({ stdout, stderr });
    const payload = Buffer.alloc(1024, 'a');
    const ok = demux.write(frame(1, payload));
    await new Promise((r) => setTimeout(r, 20));
    expect(stdout.readableLength).toBeLessThanOrEqual(1024);
    expect(ok === false || demux.writableLength > 0 || stdout.readableLength > 0).toBe(true);
    stderr.resume();
    const got = collect(stdout);
    demux.end();
    expect((await got).length).toBe(1024);
  });
});

describe('CappedCollector', () => {
  it('keeps the first maxBytes and counts the rest', async () => {
    const c = new CappedCollector(5);
    Readable.from([Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')]).pipe(c);
    await new Promise((r) => c.on('finish', r));
    expect(c.buffer().toString()).toBe('abcde');
    expect(c.total).toBe(10);
    expect(c.truncated).toBe(true);
  });
});
