import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import type { FilesApi } from '../../src/files/files-api.js';
import type { SessionsApi } from '../../src/session/sessions-api.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

interface Backend {
  sessions: SessionsApi;
  files: FilesApi;
  berth: Berth;
  close(): Promise<void>;
}

const backends: Array<[string, (d: ReturnType<typeof daemonDirs>) => Promise<Backend>]> = [
  [
    'in-process',
    async (d) => {
      const berth = await Berth.connect({ engine: engineUnderTest(), database: join(d.dataDir, 'b.db'), instance: `t-${runId()}-files` });
      return { sessions: berth.sessions, files: berth.files, berth, close: () => berth.close() };
    },
  ],
  [
    'daemon client',
    async (d) => {
      const daemon = await startDaemon(loadConfig({ engine: engineUnderTest(), dataDir: d.dataDir, socket: d.socket, logLevel: 'silent' }, {}), silentLogger());
      const c = BerthClient.connect({ socketPath: d.socket });
      return { sessions: c.sessions, files: c.files, berth: daemon.berth, close: () => daemon.close() };
    },
  ],
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(backends)(`files through %s (${engineUnderTest()})`, (_label, make) => {
  let b: Backend;
  const dirs = daemonDirs('files');
  const made: string[] = [];
  const labels = { [TEST_LABEL]: runId() };
  const session = async (extra: Record<string, unknown> = {}) => {
    const s = await b.sessions.create({ image: FIXTURE_IMAGE, labels, ...extra });
    made.push(s.id);
    return s;
  };
  const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BerthError).code;

  beforeAll(async () => {
    b = await make(dirs);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => b.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await b?.close();
    dirs.rm();
  });

  it('writes many files in one archive and reads them back byte for byte, odd names included', async () => {
    const s = await session();
    const bin = randomBytes(200_000);
    const names = ['plain.txt', 'with space/and more.txt', 'ünïcödé/文件.txt', 'new\nline.txt', 'deep/a/b/c/d.bin'];
    const r = await b.files.writeFiles(s.id, [
      ...names.slice(0, 4).map((path) => ({ path, content: `content of ${path}` })),
      { path: names[4]!, content: bin, mode: 0o600 },
    ]);
    expect(r).toEqual({ files: 5, bytes: names.slice(0, 4).reduce((n, p) => n + Buffer.byteLength(`content of ${p}`), 0) + bin.length });
    for (const p of names.slice(0, 4)) expect((await b.files.readFile(s.id, p)).toString()).toBe(`content of ${p}`);
    expect(sha(await b.files.readFile(s.id, '/workspace/deep/a/b/c/d.bin'))).toBe(sha(bin));
    const st = await b.files.stat(s.id, 'deep/a/b/c/d.bin');
    expect(st).toMatchObject({ type: 'file', size: 200_000, mode: 0o600, path: '/workspace/deep/a/b/c/d.bin' });
    const inside = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'cat "/workspace/new\nline.txt"'] });
    expect(inside.stdout).toBe('content of new\nline.txt');
  });

  it('lists, makes directories and deletes', async () => {
    const s = await session();
    await b.files.writeFile(s.id, 'd/one.txt', '1');
    await b.files.writeFile(s.id, 'd/sub/two.txt', '22');
    await b.files.mkdir(s.id, 'd/empty/deeper');
    const flat = await b.files.listDirectory(s.id, 'd');
    expect(flat.map((e) => `${e.type}:${e.name}`)).toEqual(['directory:empty', 'file:one.txt', 'directory:sub']);
    const deep = await b.files.listDirectory(s.id, 'd', { recursive: true });
    expect(deep.map((e) => e.path)).toEqual(['/workspace/d/empty', '/workspace/d/empty/deeper', '/workspace/d/one.txt', '/workspace/d/sub', '/workspace/d/sub/two.txt']);
    expect(deep.find((e) => e.name === 'two.txt')?.size).toBe(2);
    expect(await code(b.files.deleteFile(s.id, 'd/sub'))).toBe('Conflict');
    await b.files.deleteFile(s.id, 'd/sub', { recursive: true });
    await b.files.deleteFile(s.id, 'd/one.txt');
    expect((await b.files.listDirectory(s.id, 'd')).map((e) => e.name)).toEqual(['empty']);
    expect(await code(b.files.readFile(s.id, 'd/one.txt'))).toBe('NotFound');
    expect(await code(b.files.deleteFile(s.id, '.', { recursive: true }))).toBe('PolicyDenied');
  });

  it('confines paths to the base dir and enforces size limits', async () => {
    const s = await session();
    for (const p of ['../etc/passwd', '/etc/passwd', '/workspace/../root/x']) {
      expect(await code(b.files.readFile(s.id, p))).toBe('PolicyDenied');
      expect(await code(b.files.writeFile(s.id, p, 'x'))).toBe('PolicyDenied');
      expect(await code(b.files.listDirectory(s.id, p))).toBe('PolicyDenied');
    }
    await b.files.writeFile(s.id, 'big', Buffer.alloc(5000, 1));
    const tooBig = await b.files.readFile(s.id, 'big', { maxBytes: 4096 }).catch((e: unknown) => e);
    expect(BerthError.is(tooBig, 'InvalidArgument')).toBe(true);
    expect((tooBig as BerthError).message).toContain('over maxBytes 4096');
    expect(await code(b.files.readFile(s.id, '.'))).toBe('InvalidArgument');
    expect(await code(b.files.writeFiles(s.id, []))).toBe('InvalidArgument');
    expect(await code(b.files.readFile('no-such-session', 'x'))).toBe('NotFound');
    const open = await session({ confine: false, baseDir: '/tmp/base' });
    await b.files.writeFile(open.id, '/tmp/outside.txt', 'allowed');
    expect((await b.files.readFile(open.id, '/tmp/outside.txt')).toString()).toBe('allowed');
    expect((await b.files.stat(open.id, '/tmp/base')).type).toBe('directory');
  });

  it('exports and imports directories, and copies single files both ways', async () => {
    const s = await session();
    const src = join(dirs.dir, `src-${_label.replace(/\W/g, '')}`);
    mkdirSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'nested', 'n.txt'), 'nested');
    const blob = randomBytes(300_000);
    writeFileSync(join(src, 'blob.bin'), blob);
    const imp = await b.files.importDirectory(s.id, src, 'imported');
    expect(imp.bytes).toBeGreaterThan(300_000);
    expect(sha(await b.files.readFile(s.id, 'imported/blob.bin'))).toBe(sha(blob));
    const out = join(dirs.dir, `out-${_label.replace(/\W/g, '')}`);
    const exp = await b.files.exportDirectory(s.id, 'imported', out);
    expect(exp.files).toBe(2);
    expect(readdirSync(out).sort()).toEqual(['blob.bin', 'nested']);
    expect(sha(readFileSync(join(out, 'blob.bin')))).toBe(sha(blob));
    await b.files.copyIn(s.id, join(src, 'nested', 'n.txt'), 'renamed.txt');
    expect((await b.files.readFile(s.id, 'renamed.txt')).toString()).toBe('nested');
    await b.files.copyOut(s.id, 'renamed.txt', join(dirs.dir, `back-${_label.replace(/\W/g, '')}.txt`));
    expect(readFileSync(join(dirs.dir, `back-${_label.replace(/\W/g, '')}.txt`), 'utf8')).toBe('nested');
    expect(await code(b.files.importDirectory(s.id, join(dirs.dir, 'nope'), 'x'))).toBe('NotFound');
  });

  it('copies a large file out byte for byte with its mode and mtime, into a directory as docker cp does, and leaves nothing on failure', async () => {
    const s = await session();
    const blob = randomBytes(24 * 1024 * 1024 + 5);
    const here = join(dirs.dir, `cpout-${_label.replace(/\W/g, '')}`);
    mkdirSync(here, { recursive: true });
    writeFileSync(join(here, 'blob.bin'), blob);
    // As docker cp: the destination's parent must exist.
    expect(await code(b.files.copyIn(s.id, join(here, 'blob.bin'), 'big/blob.bin'))).toBe('NotFound');
    await b.files.mkdir(s.id, 'big');
    await b.files.copyIn(s.id, join(here, 'blob.bin'), 'big/blob.bin');
    const ex = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'cd /workspace/big && chmod 751 blob.bin && touch -d @1600000000 blob.bin && ln -s blob.bin link'] });
    expect(ex.exitCode).toBe(0);

    const r = await b.files.copyOut(s.id, 'big/blob.bin', join(here, 'back.bin'));
    expect(r.bytes).toBe(blob.length);
    expect(sha(readFileSync(join(here, 'back.bin')))).toBe(sha(blob));
    const st = statSync(join(here, 'back.bin'));
    expect(st.mode & 0o777).toBe(0o751);
    expect(Math.round(st.mtimeMs / 1000)).toBe(1_600_000_000);

    // An existing directory as the target receives the file under its own name.
    mkdirSync(join(here, 'into'));
    await b.files.copyOut(s.id, 'big/blob.bin', join(here, 'into'));
    expect(sha(readFileSync(join(here, 'into', 'blob.bin')))).toBe(sha(blob));

    // A directory copies its contents.
    const d = await b.files.copyOut(s.id, 'big', join(here, 'dir'));
    expect(d.bytes).toBeGreaterThan(blob.length);
    expect(readdirSync(join(here, 'dir')).sort()).toEqual(['blob.bin', 'link']);

    // Refusals leave the target as it was and no temporary files.
    const before = readdirSync(here).sort();
    expect(await code(b.files.copyOut(s.id, 'big/link', join(here, 'link-out')))).toBe('InvalidArgument');
    expect(await code(b.files.copyOut(s.id, 'big/nope', join(here, 'nope-out')))).toBe('NotFound');
    expect(await code(b.files.copyOut(s.id, 'big/blob.bin', join(here, 'no-such-dir', 'x')))).toBe('NotFound');
    expect(readdirSync(here).sort()).toEqual(before);
  });

  it('keeps exec defaults (workdir, env) on the session', async () => {
    const s = await session();
    await b.files.mkdir(s.id, 'proj');
    await b.sessions.setDefaults(s.id, { workdir: '/workspace/proj', env: { A: '1' } });
    const after = await b.sessions.setDefaults(s.id, { env: { B: '2' } });
    expect(after.execDefaults).toEqual({ workdir: '/workspace/proj', env: { A: '1', B: '2' } });
    const r = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo "$(pwd) $A $B"'] });
    expect(r.stdout).toBe('/workspace/proj 1 2\n');
    expect((await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo $A'], env: { A: 'override' } })).stdout).toBe('override\n');
    expect(await code(b.sessions.setDefaults(s.id, { workdir: 'relative' }))).toBe('InvalidArgument');
  });

  it('forks a session: same files, env and limits, then they diverge; the snapshot goes with the last user', async () => {
    const s = await session({ memory: '96m' });
    await b.files.writeFile(s.id, 'state.txt', 'before');
    await b.sessions.setDefaults(s.id, { env: { FORKED: 'yes' } });
    const f = await b.sessions.fork(s.id);
    made.push(f.id);
    expect(f.forkedFrom).toBe(s.id);
    expect(f.execDefaults.env).toEqual({ FORKED: 'yes' });
    expect((await b.files.readFile(f.id, 'state.txt')).toString()).toBe('before');
    await b.files.writeFile(f.id, 'state.txt', 'fork');
    await b.files.writeFile(s.id, 'only-source.txt', 'x');
    expect((await b.files.readFile(s.id, 'state.txt')).toString()).toBe('before');
    expect(await code(b.files.stat(f.id, 'only-source.txt'))).toBe('NotFound');
    expect((await b.sessions.exec(f.id, { cmd: ['sh', '-c', 'echo $FORKED'] })).stdout).toBe('yes\n');
    const info = await b.berth.engineClient.inspectContainer(f.containerName);
    expect(info.HostConfig.Memory).toBe(96 * 1024 * 1024);
    const image = f.snapshotImage as string;
    expect(await b.berth.engineClient.imageExists(image)).toBe(true);
    await b.sessions.remove(f.id);
    expect(await b.berth.engineClient.imageExists(image)).toBe(false);
  });

  it('counts operations per kind', async () => {
    const s = await session();
    await b.files.writeFile(s.id, 'm.txt', 'x');
    await b.files.readFile(s.id, 'missing').catch(() => undefined);
    const m = await b.files.metrics();
    const write = m.find((x) => x.kind === 'writeFile');
    const read = m.find((x) => x.kind === 'readFile');
    expect(write?.success).toBeGreaterThanOrEqual(1);
    expect(read?.failure).toBeGreaterThanOrEqual(1);
    expect(write?.avgMs).toBeGreaterThan(0);
  });
});
