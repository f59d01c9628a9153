// A 10-step workflow through the daemon (4 parallel, then 2 joins, 1 join, 3 parallel) vs the
// same 10 commands run one by one with `<engine> run --rm --network none`, and vs the
// workflow with concurrency 1 (berth's cost per step). Each sample is one whole run.
// Usage: node bench/workflow.mjs [--engine docker|podman|both] [--n 6]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, timed } from './lib.mjs';

const run = promisify(execFile);
const { engines, n } = benchArgs(6);
const IMAGE = 'berth-fixture:busybox';

const STEPS = [
  ['a1', [], ['true']],
  ['a2', [], ['true']],
  ['a3', [], ['sh', '-c', 'echo a3 > /tmp/x']],
  ['a4', [], ['true']],
  ['b1', ['a1', 'a2'], ['true']],
  ['b2', ['a3', 'a4'], ['sh', '-c', 'echo b2']],
  ['c1', ['b1', 'b2'], ['true']],
  ['d1', ['c1'], ['true']],
  ['d2', ['c1'], ['echo', 'd2']],
  ['d3', ['c1'], ['true']],
];
const source = [
  'name: bench',
  `image: ${IMAGE}`,
  'steps:',
  ...STEPS.map(([id, needs, cmd]) => `  - { id: ${id}, needs: ${JSON.stringify(needs)}, command: ${JSON.stringify(cmd)} }`),
].join('\n');

for (const engine of engines) {
  const d = await startBenchDaemon(engine);
  const info = await d.client.info();
  const cli = engine === 'docker' ? ['docker', ['-H', `unix://${info.engine.socketPath}`]] : ['podman', []];
  const workflow = async (concurrency) => {
    const started = await d.client.workflows.start({ source, concurrency, labels: { 'berth.bench': 'workflow' } });
    const done = await d.client.workflows.watch(started.id);
    if (done.status !== 'succeeded') throw new Error(`bench run ${done.id} ${done.status}: ${JSON.stringify(done.steps.map((s) => [s.id, s.status, s.error]))}`);
  };
  const rows = { [`${engine} run x10, one by one`]: [], 'berth workflow (cap 4)': [], 'berth workflow (cap 1)': [] };
  const once = {
    [`${engine} run x10, one by one`]: async () => {
      for (const [, , cmd] of STEPS) await run(cli[0], [...cli[1], 'run', '--rm', '--network', 'none', IMAGE, ...cmd]);
    },
    'berth workflow (cap 4)': () => workflow(4),
    'berth workflow (cap 1)': () => workflow(1),
  };
  for (const f of Object.values(once)) await f();
  const labels = Object.keys(once);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < labels.length; k++) {
      const who = labels[(i + k) % labels.length];
      rows[who].push(await timed(once[who]));
    }
  }
  report(`${engine} ${info.engine.version}: a 10-step workflow (whole run)`, rows, `${engine} run x10, one by one`);
  await d.stop();
}
