import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth } from '../../src/index.js';
import type { Session } from '../../src/session/session.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const DEBIAN_IMAGE = 'berth-base:debian-bookworm';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe(`session agent (${engineUnderTest()})`, () => {
  let berth: Berth;
  const dirs = daemonDirs('agent');
  const made: string[] = [];
  const create = async (image: string, extra: Record<string, unknown> = {}): Promise<Session> => {
    const s = await berth.sessions.create({ name: uniqueName('agent'), image, labels: { [TEST_LABEL]: runId() }, ...extra });
    made.push(s.id);
    return s;
  };

  beforeAll(async () => {
    berth = await Berth.connect({ engine: engineUnderTest(), instance: `t-${runId()}-agent`, agents: { dir: join(dirs.dir, 'agents') } });
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => berth.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await berth?.close();
    dirs.rm();
  });

  describe.each([['busybox fixture', FIXTURE_IMAGE], ['Debian base', DEBIAN_IMAGE]])('in the %s', (_label, image) => {
    it('runs execs through the agent with exit code, stdout and stderr apart, stdin, env, workdir and user', async () => {
      const s = await create(image);
      expect((await berth.sessions.get(s.id)).execPath).toMatchObject({ path: 'agent' });
      const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo out; echo err >&2; pwd; echo "$GREETING"; cat; exit 7'], env: { GREETING: 'hi' }, workdir: '/tmp', stdin: 'from stdin' });
      expect(r).toMatchObject({ exitCode: 7, stdout: 'out\n/tmp\nhi\nfrom stdin', stderr: 'err\n', timedOut: false, truncated: false });
      expect((await berth.sessions.exec(s.id, { cmd: ['id', '-u'], user: '65534' })).stdout.trim()).toBe('65534');
      const capped = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'head -c 5000 /dev/zero'], maxOutputBytes: 100 });
      expect(capped).toMatchObject({ truncated: true, stdoutBytes: 5000 });
      expect(capped.stdout).toHaveLength(100);
    });

    it('tells spawn failures apart: not found is 127, not executable and permission are 126', async () => {
      const s = await create(image);
      const missing = await berth.sessions.exec(s.id, { cmd: ['no-such-command'] });
      expect(missing).toMatchObject({ exitCode: 127, spawnFailure: { reason: 'not-found' } });
      await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'printf "\\x7fELFjunk" > /tmp/bad; chmod +x /tmp/bad; echo x > /tmp/plain'] });
      expect(await berth.sessions.exec(s.id, { cmd: ['/tmp/bad'] })).toMatchObject({ exitCode: 126, spawnFailure: { reason: 'not-executable' } });
      expect(await berth.sessions.exec(s.id, { cmd: ['/tmp/plain'] })).toMatchObject({ exitCode: 126, spawnFailure: { reason: 'permission' } });
    });
  });

  it('kills the whole process group on timeout and returns the output so far', async () => {
    const s = await create(FIXTURE_IMAGE);
    const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo started; sleep 300 & sleep 301; echo never'], timeoutMs: 500 });
    expect(r).toMatchObject({ timedOut: true, exitCode: 137, stdout: 'started\n' });
    const ps = await berth.sessions.exec(s.id, { cmd: ['ps', '-o', 'args'] });
    expect(ps.stdout).not.toMatch(/sleep 30[01]/);
  });

  it('keeps exit codes exact over many sequential and parallel execs, and both streams byte-exact', async () => {
    const s = await create(FIXTURE_IMAGE);
    for (let i = 0; i < 100; i++) expect((await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `exit ${i % 256}`] })).exitCode).toBe(i % 256);
    const codes = await Promise.all(
      Array.from({ length: 16 }, async (_, k) => {
        const got: number[] = [];
        for (let i = 0; i < 10; i++) got.push((await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `exit ${(k * 10 + i) % 256}`] })).exitCode);
        return got;
      }),
    );
    codes.forEach((got, k) => expect(got).toEqual(Array.from({ length: 10 }, (_, i) => (k * 10 + i) % 256)));
    const data = randomBytes(3 * 1024 * 1024).toString('base64');
    const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'tee /dev/stderr'], stdin: data });
    expect(r.exitCode).toBe(0);
    expect(sha(r.stdout)).toBe(sha(data));
    expect(sha(r.stderr)).toBe(sha(data));
  });

  it('works under the strict profile (read-only root, no capabilities, non-root) and cannot become root', async () => {
    const s = await create(FIXTURE_IMAGE, { security: 'strict' });
    expect((await berth.sessions.get(s.id)).execPath).toMatchObject({ path: 'agent' });
    expect((await berth.sessions.exec(s.id, { cmd: ['id', '-u'] })).stdout.trim()).toBe('65534');
    const root = await berth.sessions.exec(s.id, { cmd: ['id', '-u'], user: '0' });
    expect(root).toMatchObject({ exitCode: 126, spawnFailure: { reason: 'permission' } });
    expect((await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'grep CapEff /proc/self/status'] })).stdout).toMatch(/0000000000000000/);
  });

  it('falls back to engine exec, without hanging, when the agent is killed from inside', async () => {
    const s = await create(FIXTURE_IMAGE);
    const path = (await berth.sessions.get(s.id)).execPath;
    expect(path).toMatchObject({ path: 'agent' });
    const killer = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `kill -9 ${path?.agentPid}; sleep 5`] }).catch((err: Error) => err);
    expect(killer).toBeInstanceOf(Error);
    expect((killer as Error).message).toMatch(/agent went away/);
    const after = await berth.sessions.get(s.id);
    expect(after.execPath).toMatchObject({ path: 'engine' });
    expect(after.execPath?.reason).toMatch(/lost/);
    expect(await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo still here'] })).toMatchObject({ exitCode: 0, stdout: 'still here\n' });
  });

  it('gets its agent back after the session is stopped and started', async () => {
    const s = await create(FIXTURE_IMAGE);
    await berth.sessions.stop(s.id, { graceSeconds: 0 });
    expect((await berth.sessions.get(s.id)).execPath?.path).toBe('engine');
    await berth.sessions.start(s.id);
    expect((await berth.sessions.get(s.id)).execPath).toMatchObject({ path: 'agent' });
    expect((await berth.sessions.exec(s.id, { cmd: ['echo', 'back'] })).stdout).toBe('back\n');
  });

  it('refuses an impostor agent (wrong token) on the agent socket and keeps engine exec', async () => {
    const s = await create(FIXTURE_IMAGE);
    const path = (await berth.sessions.get(s.id)).execPath;
    await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `kill -9 ${path?.agentPid}`] }).catch(() => undefined);
    const fake = await berth.sessions.exec(s.id, {
      cmd: ['sh', '-c', 'BERTH_AGENT_TOKEN=00ff /.berth/agent --connect /.berth/run/agent.sock & sleep 1; kill $!'],
    });
    expect(fake.exitCode).toBe(0);
    const after = await berth.sessions.get(s.id);
    expect(after.execPath).toMatchObject({ path: 'engine', reason: expect.stringMatching(/not berth's agent/) });
    expect((await berth.sessions.exec(s.id, { cmd: ['echo', 'ok'] })).stdout).toBe('ok\n');
  });
});
