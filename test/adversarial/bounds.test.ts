import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { LineSplitter } from '../../src/client/ndjson.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { proveContainerProcess, uptimeSeconds } from '../../src/exec/host-pid.js';
import { runId, TEST_LABEL } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** The spawned daemon's resident memory, in bytes (VmRSS of /proc/<pid>/status). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Polls `check` every 200 ms until it is true or `limitMs` passed; returns its last answer. */
async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

describe(`bounded everything (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('adv-bounds');
  let d: DaemonProcess;
  const made: string[] = [];
  const session = async () => {
    const s = await d.client.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } });
    made.push(s.id);
    return s;
  };
  const running = async (id: string, pattern: string) => {
    const r = await d.client.sessions.exec(id, { cmd: ['ps', '-o', 'pid,args'] });
    return r.stdout.split('\n').some((l) => l.includes(pattern) && !l.includes('ps -o'));
  };

  beforeAll(async () => {
    d = await spawnDaemon(dirs);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => d.client.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  it('a reader that stops reading a 200 MB exec does not grow the daemon (+64 MB at most), and its hang-up kills the command', async () => {
    const s = await session();
    const pid = d.child.pid!;
    const base = rss(pid);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ socketPath: dirs.socket, method: 'POST', path: `/v1/sessions/${s.id}/exec/stream`, headers: { 'content-type': 'application/json' } }, resolve);
      req.on('error', reject);
      req.end(JSON.stringify({ cmd: ['sh', '-c', 'head -c 200000000 /dev/zero; sleep 3600'] }));
    });
    res.on('error', () => undefined);
    let got = 0;
    // One byte a second, for twelve seconds, while the command could write 200 MB many times over.
    res.pause();
    let peak = base;
    for (let i = 0; i < 12; i++) {
      const b = res.read(1) as Buffer | null;
      got += b?.length ?? 0;
      peak = Math.max(peak, rss(pid));
      await sleep(1000);
    }
    const growth = peak - base;
    console.log(`daemon RSS under a paused reader (${engineUnderTest()}): base ${Math.round(base / 2 ** 20)} MiB, peak +${Math.round(growth / 2 ** 20)} MiB, ${got} bytes read`);
    expect(growth).toBeLessThan(64 * 2 ** 20);
    expect(await running(s.id, 'head -c 200000000')).toBe(true);
    res.destroy();
    expect(await eventually(async () => !(await running(s.id, 'head -c 200000000')) && !(await running(s.id, 'sleep 3600')), 15_000)).toBe(true);
  });

  it('ctrl-C on `berth exec` kills the command in the session; `--detach` leaves it running', async () => {
    const s = await session();
    const cli = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'exec', s.id, 'sleep', '100'], { stdio: 'ignore' });
    const cliExit = new Promise((resolve) => cli.once('exit', resolve));
    try {
      expect(await eventually(() => running(s.id, 'sleep 100'), 15_000)).toBe(true);
      cli.kill('SIGINT');
      await cliExit;
      expect(await eventually(async () => !(await running(s.id, 'sleep 100')), 15_000)).toBe(true);
    } finally {
      cli.kill('SIGKILL');
    }
    const detached = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'exec', '--detach', s.id, 'sleep', '101'], { stdio: 'ignore' });
    expect(await new Promise((resolve) => detached.once('exit', resolve))).toBe(0);
    expect(await eventually(() => running(s.id, 'sleep 101'), 15_000)).toBe(true);
    await sleep(1500);
    expect(await running(s.id, 'sleep 101')).toBe(true);
  });

  it('timeoutMs over 2^31-1 ms and maxOutputBytes over 256 MiB are InvalidArgument, not a 1 ms timer', async () => {
    const s = await session();
    const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BerthError).code;
    expect(await code(d.client.sessions.exec(s.id, { cmd: ['true'], timeoutMs: 2 ** 31 }))).toBe('InvalidArgument');
    expect(await code(d.client.sessions.exec(s.id, { cmd: ['true'], maxOutputBytes: 2 ** 31 }))).toBe('InvalidArgument');
    expect(await code(d.client.sessions.execStream(s.id, { cmd: ['true'], timeoutMs: 2 ** 31 }))).toBe('InvalidArgument');
    const ok = await d.client.sessions.exec(s.id, { cmd: ['sh', '-c', 'sleep 0.3; echo done'], timeoutMs: 2 ** 31 - 1 });
    expect(ok).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'done\n' });
  });

  it('a request body over the limit is refused with a typed error, and the daemon keeps answering', async () => {
    const s = await session();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: dirs.socket, method: 'POST', path: `/v1/sessions/${s.id}/exec`, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ cmd: ['true'], stdin: 'x'.repeat(65 * 1024 * 1024) }));
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/too large/) });
    await d.client.ping();
  });

  it('an NDJSON line without end is cut at its bound, not buffered forever', () => {
    const split = new LineSplitter(1024);
    expect(split.push(Buffer.from('{"o":"aGk="}\n{"o":'))).toEqual(['{"o":"aGk="}']);
    expect(() => split.push(Buffer.alloc(2048, 0x61))).toThrow(/over 1024 bytes/);
  });
});

describe(`the daemon survives its own failures (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('adv-survive');
  afterAll(() => dirs.rm());

  it('a database that is full (SQLITE_FULL) is an error on the request, not a crash, and leaks no container', async () => {
    const daemon = await startDaemon(loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {}), silentLogger());
    const client = BerthClient.connect({ socketPath: dirs.socket });
    const labels = { [TEST_LABEL]: runId(), 'berth.test.case': 'db-full' };
    try {
      const db = (daemon.berth as unknown as { db: { pragma(s: string, o?: { simple: boolean }): unknown } }).db;
      const pages = Number(db.pragma('page_count', { simple: true }));
      db.pragma(`max_page_count = ${pages}`);
      const failures: string[] = [];
      for (let i = 0; i < 5; i++) {
        const err = await client.sessions.create({ image: FIXTURE_IMAGE, labels, spec: { env: { PAD: 'x'.repeat(200_000) } } }).then(() => undefined, (e: unknown) => e);
        if (err) failures.push((err as BerthError).code);
      }
      expect(failures.length).toBeGreaterThan(0);
      expect(new Set(failures)).toEqual(new Set(['Internal']));
      await client.ping();
      db.pragma('max_page_count = 1073741823');
      const ok = await client.sessions.create({ image: FIXTURE_IMAGE, labels });
      expect(ok.state).toBe('running');
      await client.sessions.remove(ok.id);
      expect(await daemon.berth.engineClient.listContainers(['berth.test.case=db-full', `${TEST_LABEL}=${runId()}`], true)).toEqual([]);
    } finally {
      await daemon.close();
    }
  });

  it('an unhandled rejection is logged with its stack and the daemon keeps answering', async () => {
    const script = `
      const { startDaemon } = await import(${JSON.stringify(new URL('../../dist/daemon.js', import.meta.url).pathname)});
      const { loadConfig } = await import(${JSON.stringify(new URL('../../dist/daemon/config.js', import.meta.url).pathname)});
      const { createLogger } = await import(${JSON.stringify(new URL('../../dist/common/logger.js', import.meta.url).pathname)});
      const { BerthClient } = await import(${JSON.stringify(new URL('../../dist/client/client.js', import.meta.url).pathname)});
      const cfg = loadConfig({ backend: 'local', engineSocket: '/nonexistent/none.sock', dataDir: ${JSON.stringify(join(dirs.dir, 'rej'))}, socket: ${JSON.stringify(join(dirs.dir, 'rej.sock'))}, logLevel: 'info' }, {});
      const d = await startDaemon(cfg, createLogger({ level: 'info' }));
      Promise.reject(new Error('berth-test-boom'));
      await new Promise((r) => setTimeout(r, 300));
      await BerthClient.connect({ socketPath: cfg.socket }).ping();
      console.log('STILL-ALIVE');
      await d.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(out).toContain('STILL-ALIVE');
    expect(out).toMatch(/unhandled promise rejection/);
    expect(out).toMatch(/berth-test-boom[\s\S]*at /);
    expect(code).toBe(0);
  });
});

describe(`the exec-timeout fallback signals only a proven container process (${engineUnderTest()})`, () => {
  const t = useBerth();

  it('a host PID is proven only when its cgroup, PID namespace and start time are the container\'s; an unrelated host process, another container\'s id or a reused PID are refused', async () => {
    const before = (await uptimeSeconds())!;
    const c = await t.running('pid-proof');
    const info = await t.berth.engineClient.inspectContainer(c.id);
    const pid = info.State.Pid;
    expect(pid).toBeGreaterThan(1);
    const proof = { containerId: info.Id, containerPid: pid, notBeforeUptime: before };
    expect(await proveContainerProcess(pid, proof)).toBeDefined();
    expect(await proveContainerProcess(pid, { ...proof, containerId: 'f'.repeat(64) })).toBeUndefined();
    expect(await proveContainerProcess(pid, { ...proof, notBeforeUptime: before + 3600 })).toBeUndefined();
    expect(await proveContainerProcess(1, proof)).toBeUndefined();
    const host = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      expect(await proveContainerProcess(host.pid!, { ...proof, containerPid: host.pid! })).toBeUndefined();
      expect(await proveContainerProcess(host.pid!, proof)).toBeUndefined();
    } finally {
      host.kill('SIGKILL');
    }
  });
});
