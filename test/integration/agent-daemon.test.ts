import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { BerthClient } from '../../src/client/client.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

async function agentReady(client: BerthClient, session: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await client.sessions.get(session)).execPath?.path === 'agent') return;
    await sleep(100);
  }
  throw new Error(`the agent did not come back: ${JSON.stringify((await client.sessions.get(session)).execPath)}`);
}

describe(`detached processes through the daemon (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('agent-daemon');
  let daemon: DaemonProcess | undefined;
  let session: string | undefined;

  afterAll(async () => {
    if (session && daemon) await daemon.client.sessions.remove(session).catch(() => undefined);
    daemon?.child.kill('SIGKILL');
    dirs.rm();
  });

  it('starts, lists, feeds, follows and waits; after kill -9 of the daemon they are found again with the output written meanwhile', async () => {
    daemon = await spawnDaemon(dirs);
    const s = await daemon.client.sessions.create({ name: uniqueName('agentd'), image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } });
    session = s.id;
    const inspected = await runCli(dirs.socket, ['inspect', s.id]);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ execPath: { path: 'agent' } });

    const started = await runCli(dirs.socket, ['exec', '-d', s.id, '--', 'sh', '-c', 'i=0; while [ $i -lt 100000 ]; do echo line$i; i=$((i+1)); sleep 0.02; done']);
    expect(started.code).toBe(0);
    const ticker = started.stdout.trim();
    expect(ticker).toMatch(/^p\d+$/);
    const reader = await daemon.client.processes.start(s.id, { cmd: ['sh', '-c', 'read x; echo "got $x"; exit 4'], stdin: true });
    expect(reader).toMatchObject({ running: true });
    const ls = await runCli(dirs.socket, ['proc', 'ls', s.id]);
    expect(ls.stdout).toContain(ticker);
    expect(ls.stdout).toContain(reader.id);

    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await sleep(1000);
    daemon = await spawnDaemon(dirs);
    await agentReady(daemon.client, s.id);

    const found = await daemon.client.processes.list(s.id);
    expect(found.map((p) => p.id).sort()).toEqual([ticker, reader.id].sort());
    expect(found.every((p) => p.running)).toBe(true);

    await daemon.client.processes.input(s.id, reader.id, 'hello\n', { eof: true });
    const waited = await runCli(dirs.socket, ['proc', 'wait', s.id, reader.id]);
    expect(waited.code).toBe(4);

    const out = await daemon.client.processes.output(s.id, ticker);
    const seen: Buffer[] = [];
    out.stdout.on('data', (d: Buffer) => seen.push(d));
    await sleep(500);
    out.close();
    const lines = Buffer.concat(seen).toString().trim().split('\n');
    const numbers = lines.filter((l) => /^line\d+$/.test(l)).map((l) => Number(l.slice(4)));
    expect(numbers.length).toBeGreaterThan(40);
    numbers.slice(1).forEach((n, i) => expect(n).toBe(numbers[i]! + 1));

    const killed = await runCli(dirs.socket, ['proc', 'kill', '-s', 'KILL', s.id, ticker]);
    expect(killed.code).toBe(0);
    expect(await daemon.client.processes.wait(s.id, ticker, { timeoutMs: 10_000 })).toMatchObject({ running: false, exitCode: 137 });
    expect(await daemon.client.processes.list(s.id)).toEqual([]);
  });

  it('keeps a shell through kill -9 of the daemon: scrollback replayed, then live in the same shell', async () => {
    daemon ??= await spawnDaemon(dirs);
    if (!session) session = (await daemon.client.sessions.create({ name: uniqueName('agentd'), image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } })).id;
    const s = session;
    const shell = await daemon.client.sessions.openShell(s, { cmd: ['sh'] });
    let seen = '';
    shell.on('data', (d: Buffer) => (seen += d.toString()));
    const until = async (re: RegExp, get: () => string) => {
      for (let i = 0; i < 100 && !re.test(get()); i++) await sleep(100);
      expect(get()).toMatch(re);
    };
    shell.write('echo "mark$((40+2))"; echo $$ > /tmp/shell.pid\n');
    await until(/mark42/, () => seen);
    const kept = (await daemon.client.processes.list(s)).find((p) => p.terminal);
    expect(kept).toMatchObject({ running: true });
    const pid = (await daemon.client.sessions.exec(s, { cmd: ['cat', '/tmp/shell.pid'] })).stdout.trim();

    daemon.child.kill('SIGKILL');
    await daemon.exited;
    daemon = await spawnDaemon(dirs);
    await agentReady(daemon.client, s);

    const again = await daemon.client.sessions.openShell(s, { resume: kept!.id });
    let replay = '';
    again.on('data', (d: Buffer) => (replay += d.toString()));
    await until(/mark42/, () => replay);
    again.write('echo "same $$"; exit 3\n');
    await until(new RegExp(`same ${pid}`), () => replay);
    expect(await again.exit).toEqual({ exitCode: 3, detached: false });
  });

  it('refuses an unknown session and a bad signal name with typed errors', async () => {
    daemon ??= await spawnDaemon(dirs);
    const r = await runCli(dirs.socket, ['proc', 'ls', 'no-such-session']);
    expect(r.code).not.toBe(0);
    const bad = await daemon.client.processes.signal(session ?? 'x', 'p1', 'NOPE').catch((err: Error) => err);
    expect(bad).toMatchObject({ code: 'InvalidArgument' });
  });
});
