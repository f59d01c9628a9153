import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';
import { berthTerminal, BIN, shTerminal, type Terminal } from '../support/terminal.js';

const CTRL_C = '\x03';
const CTRL_P = '\x10';
const CTRL_Q = '\x11';
const UP = '\x1b[A';

describe(`interactive shells through the daemon (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('shell');
  let d: DaemonProcess;
  const made: string[] = [];
  const terms: Terminal[] = [];
  const session = async (extra: Record<string, unknown> = {}) => {
    const s = await d.client.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() }, ...extra });
    made.push(s.id);
    return s;
  };
  const term = (t: Terminal) => (terms.push(t), t);

  beforeAll(async () => {
    mkdirSync(dirs.dataDir, { recursive: true });
    // A short keep-alive ping, so the idle test proves many intervals pass without a disconnect.
    writeFileSync(join(dirs.dataDir, 'config.json'), JSON.stringify({ terminalPingMs: 100 }));
    d = await spawnDaemon(dirs);
  });
  afterEach(async () => {
    terms.splice(0).forEach((t) => t.kill());
    await Promise.all(made.splice(0).map((id) => d.client.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  it('runs commands typed at a prompt; the up arrow recalls; ctrl-c stops a command, not the shell', async () => {
    const s = await session();
    const t = term(berthTerminal(dirs.socket, ['shell', s.id]));
    t.type('echo $((6*7))\r');
    await t.waitFor(/\n42\r/);
    const mark = t.output().length;
    t.type(`${UP}\r`);
    await t.waitFor(/\n42\r/, { from: mark });
    t.type('sleep 100\r');
    await new Promise((r) => setTimeout(r, 500));
    const before = t.output().length;
    t.type(CTRL_C);
    t.type('echo still-$((1+1))\r');
    await t.waitFor(/still-2/, { from: before, timeoutMs: 5000 });
    t.type('exit\r');
    expect(await t.exit).toBe(0);
  });

  it('forwards a resize: stty size inside shows the new size', async () => {
    const s = await session();
    const t = term(berthTerminal(dirs.socket, ['shell', s.id], { cols: 100, rows: 30 }));
    t.type('stty size\r');
    await t.waitFor(/30 100/);
    t.resize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    const mark = t.output().length;
    t.type('stty size\r');
    await t.waitFor(/40 120/, { from: mark });
    t.type('exit\r');
    await t.exit;
  });

  it('exit 3 ends berth with 3 and leaves the terminal in cooked mode', async () => {
    const s = await session();
    const t = term(shTerminal(`${process.execPath} ${BIN} --socket ${dirs.socket} shell ${s.id}; echo "rc=$?"; stty -a`));
    t.type('echo in-$((2+3))\r');
    await t.waitFor(/in-5/);
    t.type('exit 3\r');
    await t.waitFor(/rc=3[\s\S]*icanon/);
    const after = t.output().slice(t.output().indexOf('rc=3'));
    expect(after).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(after).toMatch(/(^|\s)echo(\s|$)/m);
    expect(after).not.toMatch(/-icanon/);
  });

  it('detaches with ctrl-p ctrl-q from a TTY session; the process runs on and a new attach sees it', async () => {
    const s = await session({ spec: { tty: true, openStdin: true, cmd: ['/bin/sh'] } });
    const t1 = term(berthTerminal(dirs.socket, ['attach', s.id]));
    // Evaluated by the session's shell, so the CLI is attached (and its terminal raw) before
    // the detach keys go out: typed into a cooked terminal, ctrl-q is flow control and lost.
    t1.type('echo ready-$((1+1))\r');
    await t1.waitFor(/ready-2/);
    t1.type('MARK=kept-$((3*3))\r');
    t1.type(CTRL_P + CTRL_Q);
    expect(await t1.exit).toBe(0);
    expect(t1.output()).toContain('detached');
    expect((await d.client.sessions.get(s.id)).state).toBe('running');
    const t2 = term(berthTerminal(dirs.socket, ['attach', s.id]));
    await new Promise((r) => setTimeout(r, 300));
    t2.type('echo $MARK\r');
    await t2.waitFor(/kept-9/);
    t2.type(CTRL_P + CTRL_Q);
    expect(await t2.exit).toBe(0);
    const plain = await session();
    expect(((await d.client.sessions.attach(plain.id).catch((e: unknown) => e)) as BerthError).code).toBe('Conflict');
  });

  it('keeps 5 shells on one session apart, and an idle shell alive across many keep-alive intervals', async () => {
    const s = await session();
    const shells = await Promise.all(Array.from({ length: 5 }, () => d.client.sessions.openShell(s.id, { cmd: ['/bin/sh'] })));
    const outs = shells.map(() => '');
    shells.forEach((sh, i) => sh.on('data', (b: Buffer) => (outs[i] += b.toString())));
    shells.forEach((sh, i) => sh.write(`for n in 1 2 3 4 5; do echo tok$((${i}*111))-$n; done\r`));
    await new Promise((r) => setTimeout(r, 2000));
    shells.forEach((_, i) => {
      expect(outs[i]).toContain(`tok${i * 111}-5`);
      for (let j = 0; j < 5; j++) if (j !== i) expect(outs[i]).not.toContain(`tok${j * 111}-`);
    });
    // Idle for 20 keep-alive intervals (100 ms here), then still there.
    await new Promise((r) => setTimeout(r, 2000));
    shells[0]!.write('echo awake-$((5+5))\r');
    await new Promise((r) => setTimeout(r, 500));
    expect(outs[0]).toContain('awake-10');
    for (const sh of shells) sh.write('exit 4\r');
    const exits = await Promise.all(shells.map((sh) => sh.exit));
    expect(exits).toEqual(Array.from({ length: 5 }, () => ({ exitCode: 4, detached: false })));
  });

  it('an open shell does not hold the daemon\'s shutdown; shells work after a restart; bad requests are typed errors', async () => {
    const s = await session();
    const open = await d.client.sessions.openShell(s.id, { cmd: ['/bin/sh'] });
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    await d.exited;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(((await open.exit.catch((e: unknown) => e)) as BerthError).code).toBe('DaemonUnavailable');
    d = await spawnDaemon(dirs);
    const t = term(berthTerminal(dirs.socket, ['shell', s.id, '--', '/bin/sh', '-c', 'echo after-restart; exit 5']));
    expect(await t.exit).toBe(5);
    expect(t.output()).toContain('after-restart');
    const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BerthError).code;
    expect(await code(d.client.sessions.openShell('no-such-session'))).toBe('NotFound');
    expect(await code(d.client.sessions.openShell(s.id, { cols: 0 }))).toBe('InvalidArgument');
    expect(await code(d.client.sessions.openShell(s.id, { detachKeys: 'ctrl-' }))).toBe('InvalidArgument');
    // stdin not a terminal: a pipe, like `docker exec -i`.
    const piped = await runCli(dirs.socket, ['shell', s.id], 'echo piped-$((2*4))\nexit 2\n');
    expect(piped).toMatchObject({ code: 2, stdout: 'piped-8\n' });
    const bad = term(berthTerminal(dirs.socket, ['shell', 'no-such-session']));
    expect(await bad.exit).not.toBe(0);
    expect(bad.output()).toContain('NotFound');
  });
});
