import { linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export type TarEntry = Parameters<tar.Pack['entry']>[0] & { body?: string | Buffer };

/**
 * Where an attack aims: `target` is the directory being extracted into; `victim` a file
 * beside it, `outside` a directory beside it. Nothing may change outside `target`.
 */
export interface AttackPlaces {
  target: string;
  victim: string;
  outside: string;
}

export interface HostileTar {
  /** The attack, as the test is named. */
  name: string;
  entries: (p: AttackPlaces) => TarEntry[];
  /** Plants what a sandbox could have left in the target before extraction. */
  setup?: (p: AttackPlaces) => void;
  /** The extraction must fail (PolicyDenied); otherwise it may succeed as long as nothing outside changed. */
  refused: boolean;
}

const PWNED = 'pwned\n';

/** Every tar shape that has tried to write outside its target; the same list runs on every extraction path. */
export const HOSTILE_TARS: HostileTar[] = [
  { name: 'absolute name', refused: true, entries: (p) => [{ name: p.victim, body: PWNED }] },
  { name: 'dot-dot name', refused: true, entries: () => [{ name: '../victim.txt', body: PWNED }] },
  { name: 'dot-dot hidden deeper', refused: true, entries: () => [{ name: 'a/b/../../../victim.txt', body: PWNED }] },
  { name: 'dot-dot in a PAX long name', refused: true, entries: () => [{ name: `../${'x'.repeat(150)}`, body: PWNED }] },
  { name: 'symlink out then write through it', refused: true, entries: () => [{ name: 'l', type: 'symlink', linkname: '../victim.txt' }, { name: 'l', body: PWNED }] },
  { name: 'absolute symlink then write through it', refused: true, entries: (p) => [{ name: 'l', type: 'symlink', linkname: p.victim }, { name: 'l', body: PWNED }] },
  { name: 'long symlink target out (GNU/PAX linkpath)', refused: true, entries: () => [{ name: 'l', type: 'symlink', linkname: `${'../'.repeat(60)}victim.txt` }] },
  {
    name: 'chained symlinks a -> . and a/b -> .. then a hard link through them',
    refused: true,
    entries: () => [
      { name: 'a', type: 'symlink', linkname: '.' },
      { name: 'a/b', type: 'symlink', linkname: '..' },
      { name: 'h', type: 'link', linkname: 'b/victim.txt' },
      { name: 'h', body: PWNED },
    ],
  },
  {
    name: 'symlink with .. after a name that is a link (c -> a/..)',
    refused: true,
    entries: () => [
      { name: 'a', type: 'symlink', linkname: '.' },
      { name: 'c', type: 'symlink', linkname: 'a/..' },
      { name: 'c/victim.txt', body: PWNED },
    ],
  },
  {
    name: 'write through a symlink to a directory inside (never walked)',
    refused: true,
    entries: () => [{ name: 'sub/', type: 'directory' }, { name: 's', type: 'symlink', linkname: 'sub' }, { name: 's/f', body: PWNED }],
  },
  { name: 'hard link to a file outside', refused: true, entries: () => [{ name: 'h', type: 'link', linkname: '../victim.txt' }, { name: 'h', body: PWNED }] },
  { name: 'hard link to an absolute path', refused: true, entries: (p) => [{ name: 'h', type: 'link', linkname: p.victim }, { name: 'h', body: PWNED }] },
  {
    name: 'hard link through a symlink already in the target',
    refused: true,
    setup: (p) => symlinkSync(dirname(p.victim), join(p.target, 'p')),
    entries: () => [{ name: 'h', type: 'link', linkname: 'p/victim.txt' }, { name: 'h', body: PWNED }],
  },
  {
    name: 'hard link to a file already in the target that is linked outside',
    refused: true,
    setup: (p) => linkSync(p.victim, join(p.target, 'f')),
    entries: () => [{ name: 'h', type: 'link', linkname: 'f' }, { name: 'h', body: PWNED }],
  },
  {
    name: 'hard link to a symlink from the archive',
    refused: true,
    entries: () => [{ name: 's', type: 'symlink', linkname: 'x' }, { name: 'h', type: 'link', linkname: 's' }],
  },
  {
    name: 'file over a hard link already in the target (write-through)',
    refused: false,
    setup: (p) => linkSync(p.victim, join(p.target, 'f')),
    entries: () => [{ name: 'f', body: PWNED }],
  },
  {
    name: 'file over a symlink already in the target',
    refused: false,
    setup: (p) => symlinkSync(p.victim, join(p.target, 'x')),
    entries: () => [{ name: 'x', body: PWNED }],
  },
  {
    name: 'file under a symlinked directory already in the target',
    refused: true,
    setup: (p) => symlinkSync(p.outside, join(p.target, 'p')),
    entries: () => [{ name: 'p/new.txt', body: PWNED }],
  },
  {
    name: 'directory replaced by a symlink, then written through',
    refused: true,
    entries: () => [{ name: 'sub/', type: 'directory' }, { name: 'sub', type: 'symlink', linkname: '.' }, { name: 'sub/x', body: PWNED }],
  },
  {
    name: 'directory replaced by a hard link',
    refused: true,
    entries: () => [{ name: 'f', body: 'ok' }, { name: 'd/', type: 'directory' }, { name: 'd', type: 'link', linkname: 'f' }],
  },
  {
    name: 'directory replaced by a file',
    refused: true,
    entries: () => [{ name: 'd/', type: 'directory' }, { name: 'd/x', body: 'ok' }, { name: 'd', body: PWNED }],
  },
  { name: 'character device', refused: true, entries: () => [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }] },
  { name: 'block device', refused: true, entries: () => [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }] },
  { name: 'FIFO', refused: true, entries: () => [{ name: 'fifo', type: 'fifo' }] },
];

/** A hand-made tar archive, each name (and hard-link name) under `prefix` when given. */
export function tarOf(entries: TarEntry[], prefix = ''): Readable {
  const pack = tar.pack();
  const under = (n: string) => (prefix && !n.startsWith('/') ? `${prefix}/${n}` : n);
  for (const { body, ...h } of entries) {
    const header = { ...h, name: under(h.name), ...(h.type === 'link' && h.linkname ? { linkname: under(h.linkname) } : {}) };
    if (body === undefined) pack.entry(header);
    else pack.entry(header, body);
  }
  pack.finalize();
  return Readable.from(pack);
}

/** Makes the victim file and the outside directory beside `target` (which exists). */
export function plantVictims(target: string): AttackPlaces {
  const base = dirname(target);
  const p = { target, victim: join(base, 'victim.txt'), outside: join(base, 'outside') };
  mkdirSync(target, { recursive: true });
  writeFileSync(p.victim, 'original\n');
  mkdirSync(p.outside, { recursive: true });
  writeFileSync(join(p.outside, 'keep.txt'), 'keep\n');
  return p;
}

/** What outside the target an attack could have changed: the victim's content and the listings beside the target. */
export function outsideState(p: AttackPlaces): string {
  const base = dirname(p.target);
  return JSON.stringify({
    victim: readFileSync(p.victim, 'utf8'),
    beside: readdirSync(base).sort(),
    outside: readdirSync(p.outside).sort(),
  });
}
