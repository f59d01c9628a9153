import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import type { FilesApi } from '../../src/files/files-api.js';
import type { SessionsApi } from '../../src/session/sessions-api.js';
import { daemonDirs, runCli, spawnDaemon } from '../support/daemon.js';
import { runId, TEST_LABEL } from '../support/names.js';

/** An engine socket nothing listens on: berth finds no engine here. */
const NO_ENGINE = '/nonexistent/berth-test-no-engine.sock';

interface Backend {
  sessions: SessionsApi;
  files: FilesApi;
  close(): Promise<void>;
}

const backends: Array<[string, (d: ReturnType<typeof daemonDirs>) => Promise<Backend>]> = [
  [
    'in-process',
    async (d) => {
      const berth = await Berth.connect({ backend: 'local', localRoot: join(d.dir, 'local'), database: join(d.dir, 'b.db') });
      return { sessions: berth.sessions, files: berth.files, close: () => berth.close() };
    },
  ],
  [
    'daemon client',
    async (d) => {
      const config = loadConfig({ backend: 'local', engineSocket: NO_ENGINE, dataDir: d.dataDir, socket: d.socket, logLevel: 'silent' }, {});
      const daemon = await startDaemon(config, silentLogger());
      const c = BerthClient.connect({ socketPath: d.socket });
      return { sessions: c.sessions, files: c.files, close: () => daemon.close() };
    },
  ],
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BerthError).code;

describe.each(backends)('local backend through %s', (label, make) => {
  let b: Backend;
  const dirs = daemonDirs('local');
  const made: string[] = [];
  const session = async (extra: Record<string, unknown> = {}) => {
    const s = await b.sessions.create({ labels: { [TEST_LABEL]: runId() }, ...extra });
    made.push(s.id);
    return s;
  };

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

  it('runs a session in its own host directory, removed when the session ends', async () => {
    const s = await session();
    expect(s).toMatchObject({ backend: 'local', engine: 'local', state: 'running', confine: true });
    expect(s.baseDir.startsWith(dirs.dir)).toBe(true);
    expect(existsSync(s.baseDir)).toBe(true);
    const ended = await b.sessions.remove(s.id);
    expect(ended.state).toBe('ended');
    expect(existsSync(s.baseDir)).toBe(false);
    expect(await code(b.sessions.create({ backend: 'local', baseDir: '/workspace' }))).toBe('InvalidArgument');
    expect(await code(b.sessions.create({ backend: 'local', confine: false }))).toBe('InvalidArgument');
  });

  it('execs with separate streams, exit code, env, workdir, stdin and a timeout; user is refused', async () => {
    const s = await session({ env: { FROM_SPEC: 'spec' } });
    const r = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo "$FROM_SPEC $X $(pwd)"; echo oops >&2; exit 7'], env: { X: 'call' } });
    expect(r).toMatchObject({ exitCode: 7, stdout: `spec call ${s.baseDir}\n`, stderr: 'oops\n', timedOut: false });
    expect((await b.sessions.exec(s.id, { cmd: ['wc', '-c'], stdin: 'twelve bytes' })).stdout.trim()).toBe('12');
    const slow = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'sleep 30 & sleep 30'], timeoutMs: 300 });
    expect(slow).toMatchObject({ timedOut: true, exitCode: 137 });
    expect((await b.sessions.exec(s.id, { cmd: ['no-such-command-here'] })).exitCode).toBe(127);
    expect(await code(b.sessions.exec(s.id, { cmd: ['id'], user: 'nobody' }))).toBe('InvalidArgument');
    const history = await b.sessions.history(s.id);
    expect(history[0]?.cmd).toEqual(['no-such-command-here']);
  });

  it('writes, reads, lists and deletes files, odd names and binary content included', async () => {
    const s = await session();
    const bin = randomBytes(100_000);
    const names = ['plain.txt', 'with space/and more.txt', 'ünïcödé/文件.txt', 'new\nline.txt'];
    const w = await b.files.writeFiles(s.id, [...names.map((path) => ({ path, content: `content of ${path}` })), { path: 'deep/a/b.bin', content: bin, mode: 0o600 }]);
    expect(w.files).toBe(5);
    for (const p of names) expect((await b.files.readFile(s.id, p)).toString()).toBe(`content of ${p}`);
    expect(sha(await b.files.readFile(s.id, 'deep/a/b.bin'))).toBe(sha(bin));
    expect(await b.files.stat(s.id, 'deep/a/b.bin')).toMatchObject({ type: 'file', size: 100_000, mode: 0o600, path: join(s.baseDir, 'deep/a/b.bin') });
    expect((await b.sessions.exec(s.id, { cmd: ['cat', 'new\nline.txt'] })).stdout).toBe('content of new\nline.txt');
    await b.files.mkdir(s.id, 'd/empty/deeper');
    await b.files.writeFile(s.id, 'd/one.txt', '1');
    expect((await b.files.listDirectory(s.id, 'd')).map((e) => `${e.type}:${e.name}`)).toEqual(['directory:empty', 'file:one.txt']);
    expect((await b.files.listDirectory(s.id, 'd', { recursive: true })).map((e) => e.path.slice(s.baseDir.length))).toEqual(['/d/empty', '/d/empty/deeper', '/d/one.txt']);
    expect(await code(b.files.deleteFile(s.id, 'd'))).toBe('Conflict');
    await b.files.deleteFile(s.id, 'd', { recursive: true });
    expect(await code(b.files.stat(s.id, 'd'))).toBe('NotFound');
    expect(await code(b.files.deleteFile(s.id, '.', { recursive: true }))).toBe('PolicyDenied');
    await b.files.writeFile(s.id, 'big', Buffer.alloc(5000, 1));
    expect(await code(b.files.readFile(s.id, 'big', { maxBytes: 4096 }))).toBe('InvalidArgument');
  });

  it('confines paths to the sandbox, symlinks made by commands included', async () => {
    const s = await session();
    for (const p of ['../x', '/etc/passwd', `${s.baseDir}/../x`]) {
      expect(await code(b.files.readFile(s.id, p))).toBe('PolicyDenied');
      expect(await code(b.files.writeFile(s.id, p, 'x'))).toBe('PolicyDenied');
    }
    await b.sessions.exec(s.id, { cmd: ['ln', '-s', '/etc', 'escape'] });
    expect(await code(b.files.readFile(s.id, 'escape/hostname'))).toBe('PolicyDenied');
    expect(await code(b.files.writeFile(s.id, 'escape/berth-must-not-write', 'x'))).toBe('PolicyDenied');
    expect(existsSync('/etc/berth-must-not-write')).toBe(false);
    expect(await code(b.files.listDirectory(s.id, 'escape'))).toBe('PolicyDenied');
    // A dangling symlink at the file's own name, and a symlinked directory inside an import.
    const outside = join(dirs.dir, `outside-${label.replace(/\W/g, '')}`);
    await b.sessions.exec(s.id, { cmd: ['ln', '-s', join(outside, 'planted'), 'dangling'] });
    expect(await code(b.files.writeFile(s.id, 'dangling', 'x'))).toBe('PolicyDenied');
    mkdirSync(outside, { recursive: true });
    await b.sessions.exec(s.id, { cmd: ['ln', '-s', outside, 'linkdir'] });
    const src = join(dirs.dir, `evil-${label.replace(/\W/g, '')}`);
    mkdirSync(join(src, 'linkdir'), { recursive: true });
    writeFileSync(join(src, 'linkdir', 'f.txt'), 'should not land outside');
    expect(await code(b.files.importDirectory(s.id, src, '.'))).toBe('PolicyDenied');
    expect(existsSync(join(outside, 'planted'))).toBe(false);
    expect(existsSync(join(outside, 'f.txt'))).toBe(false);
    expect((await b.files.stat(s.id, '.')).type).toBe('directory');
    expect(await code(b.sessions.setDefaults(s.id, { workdir: '/etc' }))).toBe('InvalidArgument');
  });

  it('imports, exports and copies, and keeps exec defaults', async () => {
    const s = await session();
    const src = join(dirs.dir, `src-${label.replace(/\W/g, '')}`);
    mkdirSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'nested', 'n.txt'), 'nested');
    const blob = randomBytes(300_000);
    writeFileSync(join(src, 'blob.bin'), blob);
    await b.files.importDirectory(s.id, src, 'imported');
    expect(sha(await b.files.readFile(s.id, 'imported/blob.bin'))).toBe(sha(blob));
    const out = join(dirs.dir, `out-${label.replace(/\W/g, '')}`);
    expect((await b.files.exportDirectory(s.id, 'imported', out)).files).toBe(2);
    expect(readdirSync(out).sort()).toEqual(['blob.bin', 'nested']);
    await b.files.copyIn(s.id, join(src, 'nested', 'n.txt'), 'renamed.txt');
    const back = join(dirs.dir, `back-${label.replace(/\W/g, '')}.txt`);
    await b.files.copyOut(s.id, 'renamed.txt', back);
    expect(readFileSync(back, 'utf8')).toBe('nested');
    // Into a directory under its own name, with its mode; a symlink is refused.
    const into = join(dirs.dir, `into-${label.replace(/\W/g, '')}`);
    mkdirSync(into);
    await b.sessions.exec(s.id, { cmd: ['sh', '-c', `chmod 640 ${s.baseDir}/renamed.txt && ln -s renamed.txt ${s.baseDir}/link`] });
    expect((await b.files.copyOut(s.id, 'renamed.txt', into)).bytes).toBe(6);
    expect(statSync(join(into, 'renamed.txt')).mode & 0o777).toBe(0o640);
    expect(await code(b.files.copyOut(s.id, 'link', join(into, 'l')))).toBe('InvalidArgument');
    expect(readdirSync(into)).toEqual(['renamed.txt']);
    await b.sessions.setDefaults(s.id, { workdir: join(s.baseDir, 'imported'), env: { A: '1' } });
    expect((await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo "$A $(ls | wc -l)"'] })).stdout.replace(/ +/g, ' ')).toBe('1 2\n');
  });

  it('forks: a copy of the directory with the same defaults; the two diverge', async () => {
    const s = await session();
    await b.files.writeFile(s.id, 'work/state.txt', 'before');
    await b.sessions.setDefaults(s.id, { workdir: join(s.baseDir, 'work'), env: { FORKED: 'yes' } });
    const f = await b.sessions.fork(s.id);
    made.push(f.id);
    expect(f).toMatchObject({ backend: 'local', forkedFrom: s.id });
    expect(f.baseDir).not.toBe(s.baseDir);
    expect(f.execDefaults).toEqual({ workdir: join(f.baseDir, 'work'), env: { FORKED: 'yes' } });
    await b.files.writeFile(f.id, 'work/state.txt', 'fork');
    expect((await b.files.readFile(s.id, 'work/state.txt')).toString()).toBe('before');
    expect((await b.sessions.exec(f.id, { cmd: ['sh', '-c', 'echo "$FORKED $(cat state.txt)"'] })).stdout).toBe('yes fork\n');
  });

  it('opens shells in a pseudo-terminal: typed commands, resize, exit code', async () => {
    const s = await session();
    const sh = await b.sessions.openShell(s.id, { cmd: ['/bin/sh'], cols: 90, rows: 20 });
    let out = '';
    sh.on('data', (d: Buffer) => (out += d.toString()));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 25));
      expect(out).toMatch(re);
    };
    sh.write('echo $((6*7)) "$PWD"\r');
    await until(new RegExp(`42 ${s.baseDir}`));
    sh.write('stty size\r');
    await until(/20 90/);
    await sh.resize(120, 33);
    sh.write('stty size\r');
    await until(/33 120/);
    sh.write('exit 6\r');
    expect(await sh.exit).toEqual({ exitCode: 6, detached: false });
    expect(await code(b.sessions.attach(s.id))).toBe('Conflict');
    expect(await code(b.sessions.openShell(s.id, { user: 'nobody' }))).toBe('InvalidArgument');
  });

  it('stop ends running commands; start lets execs run again', async () => {
    const s = await session();
    const long = b.sessions.exec(s.id, { cmd: ['sleep', '60'] });
    await new Promise((r) => setTimeout(r, 200));
    await b.sessions.stop(s.id, { graceSeconds: 1 });
    expect((await long).exitCode).toBeGreaterThan(128);
    expect(await code(b.sessions.exec(s.id, { cmd: ['true'] }))).toBe('Conflict');
    await b.sessions.start(s.id);
    expect((await b.sessions.exec(s.id, { cmd: ['true'] })).exitCode).toBe(0);
  });
});

describe('local backend: fallback and the daemon', () => {
  const dirs = daemonDirs('local-daemon');
  afterAll(() => dirs.rm());

  it('keeps alert rules and the health policy per session, over the template\'s', async () => {
    const berth = await Berth.connect({ backend: 'local', localRoot: join(dirs.dir, 'rules'), templateAlerts: { default: { cpuPercent: 10, memoryForMs: 1 } } });
    try {
      const s = await berth.sessions.create({ alerts: { cpuPercent: 20, cpuForMs: 5 }, health: { restartOnUnhealthy: true, maxRestarts: 1 } });
      expect(s.alertRules).toEqual({ cpuPercent: 20, memoryForMs: 1, cpuForMs: 5 });
      expect(s.healthPolicy).toEqual({ restartOnUnhealthy: true, maxRestarts: 1 });
      expect(((await berth.sessions.create({ alerts: { cpuPercent: -1 } }).catch((e: unknown) => e)) as BerthError).code).toBe('InvalidArgument');
      await berth.sessions.remove(s.id);
    } finally {
      await berth.close();
    }
  });

  it('publishes state changes on /v1/events; an open stream does not hold the daemon\'s shutdown', async () => {
    const d2 = daemonDirs('local-events');
    const daemon = await startDaemon(loadConfig({ backend: 'local', engineSocket: NO_ENGINE, dataDir: d2.dataDir, socket: d2.socket, logLevel: 'silent' }, {}), silentLogger());
    try {
      const c = BerthClient.connect({ socketPath: d2.socket });
      const { events, close } = await c.monitor.events();
      const s = await c.sessions.create({});
      const it = events[Symbol.asyncIterator]();
      const first = (await it.next()).value as { type: string; sessionId: string; data: { to: string } };
      expect(first).toMatchObject({ type: 'session.state', sessionId: s.id, data: { to: 'running' } });
      const t0 = Date.now();
      await daemon.close();
      expect(Date.now() - t0).toBeLessThan(2000);
      close();
    } finally {
      await daemon.close();
      d2.rm();
    }
  });

  it('without an engine: EngineUnavailable, unless fallback is local (logged and counted)', async () => {
    expect(await code(Berth.connect({ socketPath: NO_ENGINE }))).toBe('EngineUnavailable');
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, cb) => { warnings.push((JSON.parse(chunk.toString()) as { msg: string }).msg); cb(); } }));
    const berth = await Berth.connect({ socketPath: NO_ENGINE, fallback: 'local', localRoot: join(dirs.dir, 'fb'), logger });
    try {
      expect(berth.hasEngine).toBe(false);
      expect(() => berth.containers).toThrow(/without a container engine/);
      const s = await berth.sessions.create({});
      expect(s.backend).toBe('local');
      expect(await code(berth.sessions.create({ backend: 'engine' }))).toBe('EngineUnavailable');
      const m = (await berth.files.metrics()).find((x) => x.kind === 'createSession');
      expect(m).toMatchObject({ success: 1, failure: 1, fallback: 1 });
      expect(warnings.some((w) => w.includes("no container engine answers"))).toBe(true);
      expect(warnings.filter((w) => w.includes("this session runs on the local backend"))).toHaveLength(1);
      await berth.sessions.remove(s.id);
    } finally {
      await berth.close();
    }
  });

  it('a daemon with no engine and fallback local serves the CLI; sessions survive a restart; a vanished directory is lost', async () => {
    const args = ['--engine-socket', NO_ENGINE, '--fallback', 'local'];
    let d = await spawnDaemon(dirs, {}, args);
    try {
      const info = await d.client.info();
      expect(info).toMatchObject({ engine: null, fallback: 'local' });
      const run = await runCli(dirs.socket, ['run', '--name', `loc-${runId()}`]);
      expect(run.code).toBe(0);
      const id = run.stdout.trim();
      const other = (await runCli(dirs.socket, ['run', '--backend', 'local'])).stdout.trim();
      expect(await runCli(dirs.socket, ['exec', id, '--', 'sh', '-c', 'echo hi > f.txt; cat f.txt'])).toMatchObject({ code: 0, stdout: 'hi\n' });
      const host = join(dirs.dir, 'copy.txt');
      expect((await runCli(dirs.socket, ['cp', `${id}:f.txt`, host])).code).toBe(0);
      expect(readFileSync(host, 'utf8')).toBe('hi\n');
      expect((await runCli(dirs.socket, ['files', 'ls', id, '.'])).stdout).toContain('f.txt');
      d.child.kill('SIGTERM');
      await d.exited;
      rmSync(join(dirs.dataDir, 'local', other), { recursive: true, force: true });
      d = await spawnDaemon(dirs, {}, args);
      expect((await d.client.sessions.get(id)).state).toBe('running');
      expect(await runCli(dirs.socket, ['exec', id, '--', 'cat', 'f.txt'])).toMatchObject({ code: 0, stdout: 'hi\n' });
      expect((await d.client.sessions.get(other)).state).toBe('lost');
      expect((await runCli(dirs.socket, ['rm', id])).code).toBe(0);
      expect(existsSync(join(dirs.dataDir, 'local', id))).toBe(false);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });
});
