import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { typeFromGoMode } from '../../src/files/file-entry.js';
import { extractSafely } from '../../src/files/safe-extract.js';
import { resolveSandboxPath } from '../../src/files/sandbox-path.js';
import { HOSTILE_TARS, outsideState, plantVictims, tarOf } from '../support/hostile-tars.js';

type Entry = Parameters<tar.Pack["entry"]>[0] & { body?: string | Buffer };

/** A hand-made tar archive: what a hostile container could send. */
function archive(entries: Entry[]): Readable {
  const pack = tar.pack();
  for (const { body, ...h } of entries) {
    if (body === undefined) pack.entry(h);
    else pack.entry(h, body);
  }
  pack.finalize();
  return Readable.from(pack);
}

let dir: string;
let target: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-extract-'));
  target = join(dir, 'target');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveSandboxPath', () => {
  const base = { baseDir: '/workspace' };
  it.each([
    ['a.txt', '/workspace/a.txt'],
    ['./d/../b', '/workspace/b'],
    ['/workspace/x/y', '/workspace/x/y'],
    ['.', '/workspace'],
    ['sp ace/ünï\ncode', '/workspace/sp ace/ünï\ncode'],
  ])('%j → %s', (input, want) => {
    expect(resolveSandboxPath(input, base)).toBe(want);
  });
  it.each(['../etc/passwd', '/etc/passwd', '/workspace/../root', '/workspacex/y', 'a/../../b'])('refuses %j with PolicyDenied', (input) => {
    let err: unknown;
    try {
      resolveSandboxPath(input, base);
    } catch (e) {
      err = e;
    }
    expect(BerthError.is(err, 'PolicyDenied')).toBe(true);
    expect((err as BerthError).details.rule).toBe('confine');
  });
  it('allows outside paths with confine off, and rejects empty or NUL paths', () => {
    expect(resolveSandboxPath('/etc/hosts', { ...base, confine: false })).toBe('/etc/hosts');
    expect(() => resolveSandboxPath('', base)).toThrow(/required/);
    expect(() => resolveSandboxPath('a\0b', base)).toThrow(/NUL/);
  });
});

describe('extractSafely', () => {
  const refuses = async (entries: Entry[], rule: RegExp) => {
    const err = await extractSafely(archive(entries), target).catch((e: unknown) => e);
    expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
    expect((err as BerthError).message).toMatch(rule);
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
    expect(existsSync('/tmp/berth-escaped-by-test')).toBe(false);
  };

  it('refuses an absolute path', () => refuses([{ name: '/tmp/berth-escaped-by-test', body: 'x' }], /absolute/));
  it('refuses .. that leaves the target', () => refuses([{ name: '../escaped', body: 'x' }], /leaves the target/));
  it('refuses .. hidden deeper', () => refuses([{ name: 'a/b/../../../escaped', body: 'x' }], /leaves the target/));
  it('refuses a symlink pointing outside', () => refuses([{ name: 'link', type: 'symlink', linkname: '../escaped' }], /symlink/));
  it('refuses an absolute symlink', () => refuses([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }], /symlink/));
  it('refuses a hardlink to a file outside', () => refuses([{ name: 'hard', type: 'link', linkname: '../../etc/passwd' }], /hardlink/));
  it('refuses device files and FIFOs', async () => {
    await refuses([{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }], /not extracted/);
    await refuses([{ name: 'fifo', type: 'fifo' }], /not extracted/);
  });

  it('refuses writing through a symlink it extracted earlier', async () => {
    await refuses(
      [
        { name: 'inside', type: 'symlink', linkname: 'sub' },
        { name: '../escaped', body: 'x' },
      ],
      /leaves the target/,
    );
  });

  it('extracts a benign tree exactly: nested dirs, binary, unicode, inner symlink and hardlink, no setuid', async () => {
    const bin = Buffer.from([0, 1, 2, 255]);
    const r = await extractSafely(
      archive([
        { name: 'top/', type: 'directory', mode: 0o755 },
        { name: 'top/a b/ünï\ncode.txt', body: 'unicode', mode: 0o644 },
        { name: 'top/bin', body: bin, mode: 0o4755 },
        { name: 'top/ln', type: 'symlink', linkname: 'bin' },
        { name: 'top/hard', type: 'link', linkname: 'top/bin' },
      ]),
      target,
      { strip: 1 },
    );
    expect(r).toMatchObject({ files: 3, directories: 0, symlinks: 1 });
    expect(readFileSync(join(target, 'a b', 'ünï\ncode.txt'), 'utf8')).toBe('unicode');
    expect(readFileSync(join(target, 'bin')).equals(bin)).toBe(true);
    expect(lstatSync(join(target, 'bin')).mode & 0o7777).toBe(0o755);
    expect(readlinkSync(join(target, 'ln'))).toBe('bin');
    expect(readFileSync(join(target, 'hard')).equals(bin)).toBe(true);
  });
});

describe.each([
  ['as given', 0, ''],
  ['under a top directory (strip 1, as engine archives)', 1, 'top'],
])('extractSafely against hostile tars, %s', (_label, strip, prefix) => {
  it.each(HOSTILE_TARS.map((t) => [t.name, t] as const))('%s: nothing outside the target changes', async (_name, t) => {
    const places = plantVictims(target);
    t.setup?.(places);
    const before = outsideState(places);
    const err = await extractSafely(tarOf(t.entries(places), prefix), target, { strip }).then(() => undefined, (e: unknown) => e);
    if (t.refused) expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
    else expect(err).toBeUndefined();
    expect(outsideState(places)).toBe(before);
  });

  it('a sandbox-made symlink on the way to the target (confineTo) is refused', async () => {
    const places = plantVictims(target);
    symlinkSync(places.outside, join(target, 'in'));
    const before = outsideState(places);
    const err = await extractSafely(tarOf([{ name: 'f', body: 'x' }], prefix), join(target, 'in', 'deeper'), { strip, confineTo: target }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
    expect(outsideState(places)).toBe(before);
  });
});

describe('typeFromGoMode', () => {
  it('reads Go FileMode type bits', () => {
    expect(typeFromGoMode(2 ** 31 + 0o755)).toBe('directory');
    expect(typeFromGoMode(2 ** 27 + 0o777)).toBe('symlink');
    expect(typeFromGoMode(0o644)).toBe('file');
    expect(typeFromGoMode(2 ** 23 + 0o755)).toBe('file');
    expect(typeFromGoMode(2 ** 25 + 0o644)).toBe('other');
  });
});
