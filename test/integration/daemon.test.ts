import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Berth, BerthError, EXIT_STATUS } from '../../src/index.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const labels = { [TEST_LABEL]: runId() };

/** Containers of this daemon's instance, straight from the engine. */
async function containersOf(instance: string): Promise<Array<{ name: string; state: string; session?: string }>> {
  const berth = await Berth.connect({ engine: engineUnderTest(), instance });
  try {
    return (await berth.containers.list({ all: true })).map((c) => ({ name: c.name, state: c.state, ...(c.labels['berth.session'] ? { session: c.labels['berth.session'] } : {}) }));
  } finally {
    await berth.close();
  }
}

describe(`the daemon process (${engineUnderTest()})`, () => {
  const started: DaemonProcess[] = [];
  const dirsList: Array<ReturnType<typeof daemonDirs>> = [];
  const newDirs = (hint: string) => {
    const d = daemonDirs(hint);
    dirsList.push(d);
    return d;
  };
  const spawnTracked = async (d: { dataDir: string; socket: string }) => {
    const p = await spawnDaemon(d);
    started.push(p);
    return p;
  };

  afterEach(async () => {
    for (const p of started.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        await Promise.race([p.exited, sleep(10_000)]);
      }
    }
  });
  afterAll(async () => {
    for (const d of dirsList) {
      const instance = instanceOf(d.dataDir);
      if (instance) {
        const berth = await Berth.connect({ engine: engineUnderTest(), instance });
        for (const c of await berth.containers.list({ all: true })) await berth.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true });
        await berth.close();
      }
      d.rm();
    }
  });

  function instanceOf(dataDir: string): string | undefined {
    try {
      const db = new BetterSqlite3(join(dataDir, 'berth.db'), { readonly: true });
      const row = db.prepare(`SELECT value FROM meta WHERE key = 'instance_id'`).get() as { value: string } | undefined;
      db.close();
      return row?.value;
    } catch {
      return undefined;
    }
  }

  it('serves the CLI end to end, with typed errors and exit codes', async () => {
    const d = newDirs('cli');
    await spawnTracked(d);
    const cli = (...args: string[]) => runCli(d.socket, args);
    expect(await cli('ping')).toMatchObject({ code: 0, stdout: 'ok\n' });
    const info = JSON.parse((await cli('info', '--json')).stdout) as { daemon: string; engine: { kind: string }; socket: string };
    expect(info).toMatchObject({ daemon: 'running', socket: d.socket, engine: { kind: engineUnderTest() } });

    const name = uniqueName('cli');
    const run = await cli('run', '--name', name, '--image', FIXTURE_IMAGE, '--memory', '64m', '--env', 'GREETING=hi there', '--label', `${TEST_LABEL}=${runId()}`);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^s-[0-9a-f]{12}$/);

    const ps = JSON.parse((await cli('ps', '--json')).stdout) as Array<{ id: string; state: string }>;
    expect(ps.find((s) => s.id === id)?.state).toBe('running');
    expect((await cli('ps')).stdout).toMatch(new RegExp(`${id}\\s+${name}\\s+running`));

    const ex = await cli('exec', name, '--', 'sh', '-c', 'echo "$GREETING"; echo warn >&2; exit 3');
    expect(ex).toMatchObject({ code: 3, stdout: 'hi there\n', stderr: 'warn\n' });
    expect(await runCli(d.socket, ['exec', '-i', id, '--', 'wc', '-c'], 'twelve bytes')).toMatchObject({ code: 0, stdout: '12\n' });

    expect((await cli('stop', '-t', '1', id)).code).toBe(0);
    const stopped = await cli('exec', id, '--', 'true');
    expect(stopped.code).toBe(EXIT_STATUS.Conflict);
    expect(stopped.stderr).toContain('[Conflict]');
    expect(stopped.stderr).toContain('berth start');
    expect((await cli('start', id)).code).toBe(0);
    const inspect = JSON.parse((await cli('inspect', id)).stdout) as { state: string; events: unknown[]; history: Array<{ exitCode: number }> };
    expect(inspect.state).toBe('running');
    expect(inspect.history.map((h) => h.exitCode)).toEqual([0, 3]);
    expect((await cli('rm', id)).code).toBe(0);
    expect((await cli('ps', '-a', '--json')).stdout).toContain('"ended"');

    const missing = await cli('inspect', 'no-such-session');
    expect(missing.code).toBe(EXIT_STATUS.NotFound);
    expect(missing.stderr).toContain('[NotFound]');
    const badMem = await cli('run', '--image', FIXTURE_IMAGE, '--memory', '12zb');
    expect(badMem.code).toBe(EXIT_STATUS.InvalidArgument);
    expect(badMem.stderr).toContain('memory');
    expect((await cli('run', '--env', 'NOEQUALS')).code).toBe(EXIT_STATUS.InvalidArgument);
    expect((await cli('bogus-verb')).code).toBe(EXIT_STATUS.InvalidArgument);
    const noDaemon = await runCli(join(d.dir, 'nobody.sock'), ['ping']);
    expect(noDaemon.code).toBe(EXIT_STATUS.DaemonUnavailable);
    expect(noDaemon.stderr).toContain('berth daemon');
  });

  it('copies with berth cp both ways, lists with files ls, and forks', async () => {
    const d = newDirs('cp');
    await spawnTracked(d);
    const cli = (...args: string[]) => runCli(d.socket, args);
    const id = (await cli('run', '--image', FIXTURE_IMAGE, '--label', `${TEST_LABEL}=${runId()}`)).stdout.trim();
    const { mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
    mkdirSync(join(d.dir, 'src', 'deep'), { recursive: true });
    writeFileSync(join(d.dir, 'src', 'deep', 'x.txt'), 'x-content');
    writeFileSync(join(d.dir, 'one.txt'), 'one');
    expect((await cli('cp', join(d.dir, 'src'), `${id}:proj`)).code).toBe(0);
    expect((await cli('cp', join(d.dir, 'one.txt'), `${id}:/workspace/renamed.txt`)).code).toBe(0);
    const ls = await cli('files', 'ls', id, '.', '-r');
    expect(ls.stdout).toContain('/workspace/proj/deep/x.txt');
    expect(ls.stdout).toMatch(/^-0644\s+3\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \/workspace\/renamed\.txt$/m);
    expect((await cli('cp', `${id}:proj`, join(d.dir, 'back'))).code).toBe(0);
    expect(readFileSync(join(d.dir, 'back', 'deep', 'x.txt'), 'utf8')).toBe('x-content');
    expect((await cli('cp', `${id}:renamed.txt`, join(d.dir, 'r.txt'))).code).toBe(0);
    expect(readFileSync(join(d.dir, 'r.txt'), 'utf8')).toBe('one');
    const denied = await cli('cp', `${id}:../etc/passwd`, join(d.dir, 'p'));
    expect(denied.code).toBe(EXIT_STATUS.PolicyDenied);
    expect((await cli('cp', join(d.dir, 'one.txt'), join(d.dir, 'two.txt'))).code).toBe(EXIT_STATUS.InvalidArgument);
    const fork = (await cli('fork', id)).stdout.trim();
    expect(fork).toMatch(/^s-/);
    expect((await cli('exec', fork, '--', 'cat', '/workspace/renamed.txt')).stdout).toBe('one');
    await cli('rm', fork);
    await cli('rm', id);
  });

  it('refuses a second daemon on the same data dir', async () => {
    const d = newDirs('lock');
    await spawnTracked(d);
    const err = await spawnDaemon({ dataDir: d.dataDir, socket: join(d.dir, 'other.sock') }).catch((e: unknown) => e);
    expect(String(err)).toContain('another berth daemon');
  });

  it('keeps 20 sessions across a graceful restart, and exec works in each', async () => {
    const d = newDirs('restart');
    const first = await spawnTracked(d);
    const ids: string[] = [];
    for (let i = 0; i < 20; i += 5) {
      const batch = await Promise.all(Array.from({ length: 5 }, () => first.client.sessions.create({ image: FIXTURE_IMAGE, labels })));
      ids.push(...batch.map((s) => s.id));
    }
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const instance = instanceOf(d.dataDir) as string;
    const during = await containersOf(instance);
    expect(during.filter((c) => c.state === 'running').length).toBe(20);

    const second = await spawnTracked(d);
    const list = await second.client.sessions.list({ labels });
    expect(list.map((s) => s.id).sort()).toEqual([...ids].sort());
    expect(list.every((s) => s.state === 'running')).toBe(true);
    for (const id of ids) {
      const r = await second.client.sessions.exec(id, { cmd: ['sh', '-c', 'echo alive'] });
      expect(r.stdout).toBe('alive\n');
    }
  });

  it('loses no session and leaves no orphan when killed -9 during 20 concurrent creates', async () => {
    const d = newDirs('crash');
    const first = await spawnTracked(d);
    const acked: string[] = [];
    const creates = Array.from({ length: 20 }, () =>
      first.client.sessions.create({ image: FIXTURE_IMAGE, labels }).then(
        (s) => void acked.push(s.id),
        (e: unknown) => e,
      ),
    );
    await expect.poll(() => acked.length, { timeout: 30_000, interval: 5 }).toBeGreaterThanOrEqual(3);
    first.child.kill('SIGKILL');
    await first.exited;
    const outcomes = await Promise.all(creates);
    for (const o of outcomes) if (o !== undefined) expect(BerthError.is(o, 'DaemonUnavailable')).toBe(true);
    await sleep(1500);

    const second = await spawnTracked(d);
    const all = await second.client.sessions.list({ all: true, labels });
    const byId = new Map(all.map((s) => [s.id, s]));
    for (const id of acked) expect(byId.get(id)?.state).toBe('running');
    expect(all.every((s) => s.state === 'running' || s.state === 'failed')).toBe(true);
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);

    const instance = instanceOf(d.dataDir) as string;
    const containers = await containersOf(instance);
    const running = all.filter((s) => s.state === 'running');
    expect(containers.length).toBe(running.length);
    expect(containers.map((c) => c.session).sort()).toEqual(running.map((s) => s.id).sort());

    const db = new BetterSqlite3(join(d.dataDir, 'berth.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    for (const s of running) expect((await second.client.sessions.exec(s.id, { cmd: ['true'] })).exitCode).toBe(0);
  });

  it('marks a session whose container is removed behind its back as lost, from engine events', async () => {
    const d = newDirs('events');
    const p = await spawnTracked(d);
    const s = await p.client.sessions.create({ image: FIXTURE_IMAGE, labels });
    const berth = await Berth.connect({ engine: engineUnderTest(), instance: instanceOf(d.dataDir) as string });
    await berth.containers.handle({ id: s.containerName, name: s.containerName, tty: false }).kill();
    await expect.poll(async () => (await p.client.sessions.get(s.id)).state, { timeout: 5000 }).toBe('stopped');
    await berth.containers.handle({ id: s.containerName, name: s.containerName, tty: false }).remove({ force: true });
    await berth.close();
    await expect.poll(async () => (await p.client.sessions.get(s.id)).state, { timeout: 5000 }).toBe('lost');
  });
});
