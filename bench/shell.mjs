// Keystroke round trip: a byte typed into a terminal until its echo comes back, through
// `berth shell` (CLI → daemon → engine) vs `docker exec -it` / `podman exec -it`, both
// driven in a real pseudo-terminal (node-pty), in one run.
//
// Also printed, to show where the time goes (same run, same session):
// - `podman --remote exec -it`: Podman's own CLI through the API service, the path berth
//   takes (`podman exec -it` talks to conmon directly, skipping the service);
// - the daemon's WebSocket from this process (no CLI process) and a shell in-process
//   (no daemon): the cost of each hop;
// - a Node process that only echoes its raw-mode stdin, in a pty: the floor of any Node
//   CLI in the path.
// Usage: node bench/shell.mjs [--engine docker|podman|both] [--n 200]
import pty from 'node-pty';
import { Berth } from '../dist/index.js';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report } from './lib.mjs';

const { engines, n } = benchArgs(200);

/** Times `count` keystrokes: `write` sends one byte, `output()` is all output so far. */
async function timeKeys(write, output, onOutput, count) {
  let waiter;
  onOutput(() => waiter?.());
  const until = (pred, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no echo; the terminal shows ${JSON.stringify(output().slice(-300))}`)), ms);
      waiter = () => pred() && (clearTimeout(t), (waiter = undefined), resolve());
      waiter();
    });
  await until(() => /[#$] /.test(output()));
  await new Promise((r) => setTimeout(r, 500)); // the prompt's redraw settles
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i % 50 === 0 && i) {
      write('\x15'); // ctrl-u: clear the line
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = output().length;
    const t0 = performance.now();
    write('k');
    await until(() => output().indexOf('k', before) !== -1);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** Starts `file args` in a pty and times keystrokes through it; `bye` is typed at the end. */
async function ptyKeys(file, args, count, bye = '\x15exit\r') {
  const p = pty.spawn(file, args, { name: 'xterm', cols: 200, rows: 50, env: { ...process.env, TERM: 'xterm' } });
  let out = '';
  const listeners = [];
  p.onData((d) => {
    out += d;
    listeners.forEach((l) => l());
  });
  const samples = await timeKeys((b) => p.write(b), () => out, (l) => listeners.push(l), count);
  if (bye) p.write(bye);
  await new Promise((r) => setTimeout(r, 100));
  p.kill();
  return samples;
}

/** Times keystrokes through a ShellStream (in-process or the daemon client). */
async function streamKeys(shell, count) {
  let out = '';
  const listeners = [];
  shell.on('data', (d) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  const samples = await timeKeys((b) => shell.write(b), () => out, (l) => listeners.push(l), count);
  shell.write('\x15exit\r');
  await shell.exit;
  return samples;
}

const ECHO = "process.stdout.write('$ ');process.stdin.setRawMode(true);process.stdin.on('data',(d)=>d[0]===4?process.exit(0):process.stdout.write(d))";

for (const engine of engines) {
  const d = await startBenchDaemon(engine);
  const info = await d.client.info();
  const s = await d.client.sessions.create({ image: 'berth-fixture:busybox' });
  const berth = await Berth.connect({ engine, instance: `bench-shell-${process.pid}` });
  const own = await berth.sessions.create({ image: 'berth-fixture:busybox' });
  try {
    const cli = engine === 'docker' ? ['docker', ['-H', `unix://${info.engine.socketPath}`, 'exec', '-it', s.containerName, '/bin/sh']] : ['podman', ['exec', '-it', s.containerName, '/bin/sh']];
    const raw = `${engine} exec -it`;
    const rows = { [raw]: [], 'berth shell': [] };
    const extra = {
      ...(engine === 'podman' ? { 'podman --remote exec -it': [] } : {}),
      'daemon WebSocket, no CLI': [],
      'berth in-process, no daemon': [],
      'Node echo in a pty (floor)': [],
    };
    for (let round = 0; round < 2; round++) {
      rows[raw].push(...(await ptyKeys(cli[0], cli[1], n / 2)));
      rows['berth shell'].push(...(await ptyKeys(process.execPath, [BIN, '--socket', d.socket, 'shell', s.id, '--', '/bin/sh'], n / 2)));
      if (engine === 'podman') {
        extra['podman --remote exec -it'].push(...(await ptyKeys('podman', ['--remote', '--url', `unix://${info.engine.socketPath}`, 'exec', '-it', s.containerName, '/bin/sh'], n / 2)));
      }
      extra['daemon WebSocket, no CLI'].push(...(await streamKeys(await d.client.sessions.openShell(s.id, { cmd: ['/bin/sh'] }), n / 2)));
      extra['berth in-process, no daemon'].push(...(await streamKeys(await berth.sessions.openShell(own.id, { cmd: ['/bin/sh'] }), n / 2)));
      extra['Node echo in a pty (floor)'].push(...(await ptyKeys(process.execPath, ['-e', ECHO], n / 2, '\x04')));
    }
    report(`${engine} ${info.engine.version}: keystroke round trip (byte typed → echo seen)`, { ...rows, ...extra }, raw, { 'berth shell': 1.2 });
  } finally {
    await berth.sessions.remove(own.id).catch(() => undefined);
    await berth.close();
    await d.stop();
  }
}
