// Keystroke round trip: a byte typed into a terminal until its echo comes back, through
// `berth shell` (CLI → daemon → engine) vs `docker exec -it` / `podman exec -it`, both
// driven in a real pseudo-terminal (node-pty), in one run.
// Usage: node bench/shell.mjs [--engine docker|podman|both] [--n 200]
import pty from 'node-pty';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report } from './lib.mjs';

const { engines, n } = benchArgs(200);

/** Starts `file args` in a pty, waits for a prompt, then times n keystrokes' echoes. */
async function keystrokes(file, args, count) {
  const p = pty.spawn(file, args, { name: 'xterm', cols: 200, rows: 50, env: { ...process.env, TERM: 'xterm' } });
  let out = '';
  let waiter;
  p.onData((d) => {
    out += d;
    waiter?.();
  });
  const until = (pred, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no echo; the terminal shows ${JSON.stringify(out.slice(-300))}`)), ms);
      waiter = () => pred() && (clearTimeout(t), (waiter = undefined), resolve());
      waiter();
    });
  await until(() => /[#$] /.test(out));
  await new Promise((r) => setTimeout(r, 500)); // the prompt's redraw settles
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i % 50 === 0 && i) {
      p.write('\x15'); // ctrl-u: clear the line
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = out.length;
    const t0 = performance.now();
    p.write('k');
    await until(() => out.indexOf('k', before) !== -1);
    samples.push(performance.now() - t0);
  }
  p.write('\x15exit\r');
  p.kill();
  return samples;
}

for (const engine of engines) {
  const d = await startBenchDaemon(engine);
  const info = await d.client.info();
  const s = await d.client.sessions.create({ image: 'berth-fixture:busybox' });
  const cli = engine === 'docker' ? ['docker', ['-H', `unix://${info.engine.socketPath}`, 'exec', '-it', s.containerName, '/bin/sh']] : ['podman', ['exec', '-it', s.containerName, '/bin/sh']];
  const raw = `${engine} exec -it`;
  const rows = { [raw]: [], 'berth shell': [] };
  for (let round = 0; round < 2; round++) {
    rows[raw].push(...(await keystrokes(cli[0], cli[1], n / 2)));
    rows['berth shell'].push(...(await keystrokes(process.execPath, [BIN, '--socket', d.socket, 'shell', s.id, '--', '/bin/sh'], n / 2)));
  }
  report(`${engine} ${info.engine.version}: keystroke round trip (byte typed → echo seen)`, rows, raw, { 'berth shell': 1.2 });
  await d.stop();
}
