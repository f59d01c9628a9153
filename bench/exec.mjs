// exec `true`: berth vs raw dockerode (create, start, read to end, inspect until done) vs the engine's CLI.
// Usage: node bench/exec.mjs [--engine docker|podman|both] [--n 60]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Berth, ContainerSpec } from '../dist/index.js';
import { benchArgs, report, timed } from './lib.mjs';

const run = promisify(execFile);
const { engines, n } = benchArgs(60);
const id = randomBytes(3).toString('hex');

async function rawExec(docker, containerId) {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: false });
  stream.resume();
  await new Promise((r) => stream.on('end', r));
  for (;;) {
    const s = await exec.inspect();
    if (!s.Running) return s.ExitCode;
    await new Promise((r) => setTimeout(r, 2));
  }
}

for (const engine of engines) {
  const berth = await Berth.connect({ engine, instance: `bench-${id}` });
  const docker = new Docker({ socketPath: berth.engine.socketPath });
  const c = await berth.containers.create(
    ContainerSpec.builder().image('berth-fixture:busybox').name(`berth-bench-exec-${id}`).labels('berth.bench', id).cmd(['sleep', '600']).build(),
  );
  try {
    await c.start();
    const cli = engine === 'docker' ? ['docker', ['-H', `unix://${berth.engine.socketPath}`, 'exec', c.id, 'true']] : ['podman', ['exec', c.id, 'true']];
    const rows = { 'raw dockerode': [], berth: [], [`${engine} exec (CLI)`]: [] };
    const once = {
      'raw dockerode': () => rawExec(docker, c.id),
      berth: () => c.exec({ cmd: ['true'] }),
      [`${engine} exec (CLI)`]: () => run(cli[0], cli[1]),
    };
    for (let i = 0; i < 5; i++) for (const f of Object.values(once)) await f();
    const labels = Object.keys(once);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < labels.length; k++) {
        const who = labels[(i + k) % labels.length];
        rows[who].push(await timed(once[who]));
      }
    }
    report(`${engine} ${berth.engine.version}: exec \`true\` in a running busybox container`, rows, 'raw dockerode', { berth: 1.1 });
  } finally {
    await c.remove({ force: true });
    await berth.close();
  }
}
