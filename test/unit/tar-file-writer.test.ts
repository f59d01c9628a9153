import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { TarFileWriter } from '../../src/files/tar-file-writer.js';

type Entry = Parameters<tar.Pack['entry']>[0] & { body?: Buffer };

async function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...h } of entries) pack.entry(h, body ?? Buffer.alloc(0));
  pack.finalize();
  const out: Buffer[] = [];
  for await (const c of pack) out.push(c as Buffer);
  return Buffer.concat(out);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-tarfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a writer over `bytes` fed `step` bytes at a time; returns it and what it wrote. */
function write(bytes: Buffer, step: number): { writer: TarFileWriter; out: Buffer } {
  const path = join(dir, `out-${step}`);
  const fd = openSync(path, 'w');
  const writer = new TarFileWriter(fd, '/workspace/f');
  try {
    for (let i = 0; i < bytes.length; i += step) writer.feed(bytes.subarray(i, i + step));
    writer.end();
  } finally {
    closeSync(fd);
  }
  return { writer, out: readFileSync(path) };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return BerthError.is(err) ? err.code : String(err);
  }
  return 'no error';
};

describe('TarFileWriter', () => {
  const content = randomBytes(3 * 1024 * 1024 + 333);

  it.each([1000, 4096, 65_536, 4 * 1024 * 1024])('writes the file byte for byte, fed %i bytes at a time', async (step) => {
    const tarred = await archive([{ name: 'f', body: content, mtime: new Date(1_700_000_000_000) }]);
    const { writer, out } = write(tarred, step);
    expect(out.equals(content)).toBe(true);
    expect(writer.bytes).toBe(content.length);
    expect(writer.mtime).toBe(1_700_000_000);
  });

  it('reads past PAX headers (long unicode names) and writes empty files', async () => {
    const long = `${'dïr/'.repeat(40)}naïve file.txt`;
    const { out } = write(await archive([{ name: long, body: Buffer.from('pax') }]), 7);
    expect(out.toString()).toBe('pax');
    const { out: empty, writer } = write(await archive([{ name: 'e', body: Buffer.alloc(0) }]), 512);
    expect(empty.length).toBe(0);
    expect(writer.bytes).toBe(0);
  });

  it('applies PAX records to the file, not to the GNU long-name block between them', () => {
    /** A hand-made ustar header block (what tar-stream will not write: PAX before a GNU long name). */
    const header = (name: string, type: string, size: number) => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write('0000644\0', 100);
      h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
      h.write('00000000000\0', 136);
      h.write(type, 156);
      h.write('ustar\u000000', 257, 'latin1');
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return h;
    };
    const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
    const record = Buffer.from('20 mtime=1600000000\n10 size=3\n');
    const longName = Buffer.from(`${'n'.repeat(700)}\0`); // two blocks: a size of 3 would misalign what follows
    const tarred = Buffer.concat([
      header('PaxHeader', 'x', record.length),
      padded(record),
      header('././@LongLink', 'L', longName.length),
      padded(longName),
      header('f', '0', 3),
      padded(Buffer.from('abc')),
      Buffer.alloc(1024),
    ]);
    const { out, writer } = write(tarred, 100);
    expect(out.toString()).toBe('abc');
    expect(writer.bytes).toBe(3);
    expect(writer.mtime).toBe(1_600_000_000);
  });

  it('refuses a symlink, a second file, a truncated archive and a damaged header', async () => {
    const link = await archive([{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }]);
    expect(codeOf(() => write(link, 512))).toBe('InvalidArgument');
    const two = await archive([
      { name: 'a', body: Buffer.from('1') },
      { name: 'b', body: Buffer.from('2') },
    ]);
    expect(codeOf(() => write(two, 512))).toBe('Internal');
    const whole = await archive([{ name: 'f', body: content }]);
    expect(() => write(whole.subarray(0, 100_000), 4096)).toThrow(/ended \d+ bytes early/);
    const damaged = Buffer.from(whole);
    damaged[10] = damaged[10]! ^ 0xff;
    expect(() => write(damaged, 4096)).toThrow(/damaged header/);
    expect(() => write(Buffer.alloc(1024), 512)).toThrow(/held no file/);
  });
});
