// Session create (to running) and remove with the strict profile vs standard, in-process, against
// raw dockerode create+start of the same standard options; runsc too when the engine has it.
// Usage: node bench/security.mjs [--engine docker|podman|both] [--n 20]
import Docker from 'dockerode';
import { Berth, ContainerSpec } from '../dist/index.js';
import { toCreateOptions } from '../dist/spec/to-create-options.js';
import { benchArgs, report, timed } from './lib.mjs';

const { engines, n } = benchArgs(20);
const image = 'berth-fixture:busybox';

for (const engine of engines) {
  const berth = await Berth.connect({ engine, instance: `bench-sec-${process.pid}` });
  const raw = new Docker({ socketPath: berth.engine.socketPath });
  const host = berth.engineClient.host;
  const rows = { 'raw create+start': [], 'berth standard': [], 'berth strict': [] };
  const once = {
    'raw create+start': async (i) => {
      const spec = ContainerSpec.builder().image(image).name(`berth-bench-sec-raw-${process.pid}-${i}`).cmd(['sleep', '2147483647']).build();
      const c = await raw.createContainer(toCreateOptions(spec, { instance: 'bench-raw' }));
      await c.start();
      return () => c.remove({ force: true });
    },
    'berth standard': async () => {
      const s = await berth.sessions.create({ image });
      return () => berth.sessions.remove(s.id);
    },
    'berth strict': async () => {
      const s = await berth.sessions.create({ image, security: 'strict' });
      return () => berth.sessions.remove(s.id);
    },
  };
  const runsc = host.runtimes.runsc !== undefined && engine === 'docker';
  if (runsc) {
    rows['berth strict + runsc'] = [];
    once['berth strict + runsc'] = async () => {
      const s = await berth.sessions.create({ image, security: 'strict', spec: { runtime: 'runsc' } });
      return () => berth.sessions.remove(s.id);
    };
  }
  for (let i = 0; i < 2; i++) for (const [k, f] of Object.entries(once)) await (await f(`w${i}${k.length}`))();
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? Object.keys(once).reverse() : Object.keys(once);
    for (const who of order) {
      let undo;
      rows[who].push(await timed(async () => (undo = await once[who](i))));
      await undo();
    }
  }
  report(`${engine} ${berth.engine.version}: session create (running) by profile vs raw create+start${runsc ? '' : engine === 'docker' ? ' (runsc not registered)' : ' (runsc: Docker only)'}`, rows, 'raw create+start');
  const strict = rows['berth strict'].slice().sort((a, b) => a - b)[Math.floor(n / 2)];
  const standard = rows['berth standard'].slice().sort((a, b) => a - b)[Math.floor(n / 2)];
  console.log(`  strict / standard p50 ratio: ${(strict / standard).toFixed(2)}x`);
  await berth.close();
}
