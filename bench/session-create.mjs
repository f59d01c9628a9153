// Session create through the daemon's API vs raw dockerode create+start (same create options), one run.
// Usage: node bench/session-create.mjs [--engine docker|podman|both] [--n 30]
import Docker from 'dockerode';
import { ContainerSpec } from '../dist/index.js';
import { toCreateOptions } from '../dist/spec/to-create-options.js';
import { startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, timed } from './lib.mjs';

const { engines, n } = benchArgs(30);

for (const engine of engines) {
  const d = await startBenchDaemon(engine);
  const info = await d.client.info();
  const raw = new Docker({ socketPath: info.engine.socketPath });
  const rawIds = [];
  const rows = { 'raw create+start': [], 'berth session (API)': [] };
  const once = {
    'raw create+start': async (i) => {
      const spec = ContainerSpec.builder().image('berth-fixture:busybox').name(`berth-bench-raw-${process.pid}-${i}`).cmd(['sleep', '2147483647']).build();
      const c = await raw.createContainer(toCreateOptions(spec, { instance: 'bench-raw' }));
      await c.start();
      rawIds.push(c.id);
    },
    'berth session (API)': async () => {
      await d.client.sessions.create({ image: 'berth-fixture:busybox' });
    },
  };
  for (let i = 0; i < 3; i++) for (const [k, f] of Object.entries(once)) await f(`w${i}${k.length}`);
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? Object.keys(once).reverse() : Object.keys(once);
    for (const who of order) rows[who].push(await timed(() => once[who](i)));
  }
  report(`${engine} ${info.engine.version}: session create via the daemon API vs raw create+start`, rows, 'raw create+start', { 'berth session (API)': 1.15 });
  await Promise.all(rawIds.map((id) => raw.getContainer(id).remove({ force: true })));
  await d.stop();
}
