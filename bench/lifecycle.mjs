// create+start+remove: berth vs raw dockerode with the same create options, interleaved in one run.
// Usage: node bench/lifecycle.mjs [--engine docker|podman|both] [--n 40]
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { Berth, ContainerSpec } from '../dist/index.js';
import { toCreateOptions } from '../dist/spec/to-create-options.js';
import { benchArgs, report, timed } from './lib.mjs';

const { engines, n } = benchArgs(40);
const run = randomBytes(3).toString('hex');

for (const engine of engines) {
  const berth = await Berth.connect({ engine, instance: `bench-${run}` });
  const raw = new Docker({ socketPath: berth.engine.socketPath });
  const spec = (i, who) =>
    ContainerSpec.builder().image('berth-fixture:busybox').name(`berth-bench-${run}-${who}-${i}`).labels('berth.bench', run).cmd(['sleep', '60']).build();
  const rows = { 'raw dockerode': [], berth: [] };
  const once = {
    'raw dockerode': async (i) => {
      const c = await raw.createContainer(toCreateOptions(spec(i, 'raw'), { instance: `bench-${run}` }));
      await c.start();
      await c.remove({ force: true });
    },
    berth: async (i) => {
      const c = await berth.containers.create(spec(i, 'berth'));
      await c.start();
      await c.remove({ force: true });
    },
  };
  for (let i = 0; i < 3; i++) for (const f of Object.values(once)) await f(`warm${i}`);
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? ['berth', 'raw dockerode'] : ['raw dockerode', 'berth'];
    for (const who of order) rows[who].push(await timed(() => once[who](i)));
  }
  report(`${engine} ${berth.engine.version}: create+start+remove (busybox, --network none)`, rows, 'raw dockerode', { berth: 1.1 });
  await berth.close();
}
