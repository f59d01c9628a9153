import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Container } from '../../src/index.js';
import { engineUnderTest, useBerth } from '../support/engine.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function shaInside(c: Container, path: string): Promise<string> {
  const r = await c.exec({ cmd: ['sha256sum', path] });
  expect(r.exitCode).toBe(0);
  return r.stdout.split(/\s+/)[0] ?? '';
}

describe(`exec (${engineUnderTest()})`, () => {
  const t = useBerth();

  it('runs the README example: separate streams and exit code 3', async () => {
    const c = await t.running('readme');
    const r = await c.exec({ cmd: ['sh', '-c', 'echo hi; echo err >&2; exit 3'] });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'hi\n', stderr: 'err\n', timedOut: false, truncated: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it.each([0, 1, 3, 127, 255])('reports exit code %i', async (code) => {
    const c = await t.running(`exit${code}`);
    const r = await c.exec({ cmd: ['sh', '-c', `exit ${code}`] });
    expect(r.exitCode).toBe(code);
  });

  it('reports 127 for a command the shell cannot find', async () => {
    const c = await t.running('nocmd');
    const r = await c.exec({ cmd: ['sh', '-c', 'no-such-command-here'] });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('not found');
  });

  it('demultiplexes 10 MB on each of stdout and stderr, interleaved, byte-exact', async () => {
    const c = await t.running('big', (b) => b.memory('256m'));
    const prep = await c.exec({ cmd: ['sh', '-c', 'seq 1 1400000 > /tmp/o; seq 5000000 6300000 > /tmp/e; wc -c /tmp/o /tmp/e'] });
    expect(prep.exitCode).toBe(0);
    const [wantOut, wantErr] = [await shaInside(c, '/tmp/o'), await shaInside(c, '/tmp/e')];
    const r = await c.exec({ cmd: ['sh', '-c', 'cat /tmp/o & cat /tmp/e >&2; wait'] });
    expect(r.exitCode).toBe(0);
    expect(r.stdoutBytes).toBeGreaterThan(10_000_000);
    expect(r.stderrBytes).toBeGreaterThan(10_000_000);
    expect(sha256(r.stdout)).toBe(wantOut);
    expect(sha256(r.stderr)).toBe(wantErr);
  });

  it('streams binary output byte-exact', async () => {
    const c = await t.running('binary');
    await c.exec({ cmd: ['sh', '-c', 'head -c 3000000 /dev/urandom > /tmp/r'] });
    const want = await shaInside(c, '/tmp/r');
    const s = await c.execStream({ cmd: ['cat', '/tmp/r'] });
    const chunks: Buffer[] = [];
    s.stdout.on('data', (d: Buffer) => chunks.push(d));
    s.stderr.resume();
    const exit = await s.exit;
    expect(exit.exitCode).toBe(0);
    expect(sha256(Buffer.concat(chunks))).toBe(want);
  });

  it('passes env, workdir and user', async () => {
    const c = await t.running('envs', (b) => b.env('FROM_SPEC', 'spec'));
    const r = await c.exec({
      cmd: ['sh', '-c', 'echo "$FOO|$FROM_SPEC|$(pwd)|$(id -u):$(id -g)"'],
      env: { FOO: 'bar baz' },
      workdir: '/tmp',
      user: '65534:65534',
    });
    expect(r.stdout).toBe('bar baz|spec|/tmp|65534:65534\n');
  });

  it('feeds stdin from a string, a Buffer and a stream, then closes it', async () => {
    const c = await t.running('stdin');
    expect((await c.exec({ cmd: ['cat'], stdin: 'hello\nworld' })).stdout).toBe('hello\nworld');
    const bin = Buffer.from([0, 1, 2, 255, 254, 10, 0]);
    const r = await c.exec({ cmd: ['sh', '-c', 'cat | sha256sum'], stdin: bin });
    expect(r.stdout.split(/\s+/)[0]).toBe(sha256(bin));
    const big = Buffer.alloc(2_000_000, 'abcdefgh');
    const r2 = await c.exec({ cmd: ['wc', '-c'], stdin: Readable.from([big.subarray(0, 1_000_000), big.subarray(1_000_000)]) });
    expect(r2.stdout.trim()).toBe('2000000');
  });

  it('kills a timed-out command and its children inside the container', async () => {
    const c = await t.running('timeout');
    const r = await c.exec({ cmd: ['sh', '-c', 'sleep 300 & sleep 301; echo never'], timeoutMs: 700 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).not.toContain('never');
    expect(r.durationMs).toBeLessThan(10_000);
    const ps = await c.exec({ cmd: ['ps', '-o', 'pid,args'] });
    expect(ps.stdout).not.toMatch(/sleep 30[01]/);
    expect(ps.stdout).toContain('sleep 3600');
  });

  it('kills a timed-out command run as another user', async () => {
    const c = await t.running('timeout-user');
    const r = await c.exec({ cmd: ['sleep', '302'], user: '65534', timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    const ps = await c.exec({ cmd: ['ps', '-o', 'pid,args'] });
    expect(ps.stdout).not.toContain('sleep 302');
  });

  it('cuts output beyond maxOutputBytes and flags it, without buffering the rest', async () => {
    const c = await t.running('cap');
    const r = await c.exec({ cmd: ['sh', '-c', 'head -c 5000000 /dev/zero | tr "\\0" x; echo tail >&2'], maxOutputBytes: 1000 });
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.stdout).toBe('x'.repeat(1000));
    expect(r.stdoutBytes).toBe(5_000_000);
    expect(r.stderr).toBe('tail\n');
  });

  it('runs 300 sequential execs without a hang', async () => {
    const c = await t.running('many');
    for (let i = 0; i < 300; i++) {
      const r = await c.exec({ cmd: ['sh', '-c', `echo ${i}; exit ${i % 4}`] });
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.exitCode).toBe(i % 4);
    }
  });
});
