// The CLI's own cost: `berth exec` (through the daemon) vs `docker exec` / `podman exec`,
// and `berth --version` vs bare `node -e ''`, in one run.
// Usage: node bench/cli.mjs [--engine docker|podman|both] [--n 30]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, timed } from './lib.mjs';

const run = promisify(execFile);
const { engines, n } = benchArgs(30);

const startup = { "node -e ''": [], 'berth --version': [] };
for (let i = 0; i < n; i++) {
  startup["node -e ''"].push(await timed(() => run(process.execPath, ['-e', ''])));
  startup['berth --version'].push(await timed(() => run(process.execPath, [BIN, '--version'])));
}
report('CLI start-up', startup, "node -e ''", { 'berth --version': 1.3 });

for (const engine of engines) {
  const d = await startBenchDaemon(engine);
  const info = await d.client.info();
  const s = await d.client.sessions.create({ image: 'berth-fixture:busybox' });
  const cli = engine === 'docker' ? ['docker', ['-H', `unix://${info.engine.socketPath}`, 'exec', s.containerName, 'true']] : ['podman', ['exec', s.containerName, 'true']];
  const label = `${engine} exec (CLI)`;
  const rows = { [label]: [], 'berth exec (CLI)': [] };
  const once = {
    [label]: () => run(cli[0], cli[1]),
    'berth exec (CLI)': () => run(process.execPath, [BIN, '--socket', d.socket, 'exec', s.id, '--', 'true']),
  };
  for (let i = 0; i < 3; i++) for (const f of Object.values(once)) await f();
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? Object.keys(once).reverse() : Object.keys(once);
    for (const who of order) rows[who].push(await timed(once[who]));
  }
  report(`${engine} ${info.engine.version}: exec \`true\` from the command line`, rows, label, { 'berth exec (CLI)': 2.0 });
  await d.stop();
}
