import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { LineSplitter } from '../../src/client/ndjson.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
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
