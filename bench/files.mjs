// The files API against the engine's own tools, in one run:
// - writeFiles of 1000 x 1 KB (one archive) vs docker/podman cp per file vs one putArchive per file;
// - one 100 MB file in and out (copyIn/copyOut, streaming) vs docker/podman cp, with heap growth,
//   and `berth cp` out through a daemon (CLI start included);
// - fork vs a cold session create.
// Usage: node bench/files.mjs [--engine docker|podman|both] [--n 5]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { Berth } from '../dist/index.js';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, summary, timed } from './lib.mjs';

const run = promisify(execFile);
const { engines, n } = benchArgs(5);
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-files-'));
const files = Array.from({ length: 1000 }, (_, i) => ({ path: `many/f${i}.txt`, content: randomBytes(512).toString('hex') }));
const big = join(dir, 'big.bin');
writeFileSync(big, randomBytes(100 * 1024 * 1024));
for (let i = 0; i < 100; i++) writeFileSync(join(dir, `one${i}.txt`), files[i].content);

function oneFileTar(name, content) {
  const pack = tar.pack();
  pack.entry({ name }, content);
  pack.finalize();
  return pack;
}

for (const engine of engines) {
  const berth = await Berth.connect({ engine, instance: `bench-files-${process.pid}` });
  const raw = new Docker({ socketPath: berth.engine.socketPath });
  const cliBase = engine === 'docker' ? ['docker', ['-H', `unix://${berth.engine.socketPath}`]] : ['podman', []];
  const cli = (...args) => run(cliBase[0], [...cliBase[1], ...args], { maxBuffer: 1 << 20 });
  const s = await berth.sessions.create({ image: 'berth-fixture:busybox' });
  try {
    // 1000 small files: per-file cost of each way.
    const cpLabel = `${engine} cp per file`;
    const perFile = { [cpLabel]: [], 'putArchive per file': [], 'berth writeFiles (1000 in one)': [] };
    for (let i = 0; i < 100; i++) perFile[cpLabel].push(await timed(() => cli('cp', join(dir, `one${i}.txt`), `${s.containerName}:/workspace/one${i}.txt`)));
    for (let i = 0; i < 200; i++) {
      perFile['putArchive per file'].push(await timed(() => raw.getContainer(s.containerName).putArchive(oneFileTar(`p${i}.txt`, files[i % 1000].content), { path: '/workspace' })));
    }
    for (let k = 0; k < n; k++) perFile['berth writeFiles (1000 in one)'].push((await timed(() => berth.files.writeFiles(s.id, files))) / 1000);
    report(`${engine}: writing 1 KB files, ms per file`, perFile, cpLabel);
    const speedup = summary(perFile[cpLabel]).p50 / summary(perFile['berth writeFiles (1000 in one)']).p50;
    console.log(`  berth writeFiles is ${speedup.toFixed(0)}x faster per file than ${engine} cp (target >= 10x: ${speedup >= 10 ? 'met' : 'MISSED'})`);

    // 100 MB in and out.
    const rows = { [`${engine} cp in`]: [], 'berth copyIn': [], [`${engine} cp out`]: [], 'berth copyOut': [], 'berth cp (CLI, daemon)': [], 'dockerode getArchive, read only': [] };
    // `berth cp` through a daemon of its own, on a session of that daemon's.
    const daemon = await startBenchDaemon(engine);
    const ds = await daemon.client.sessions.create({ image: 'berth-fixture:busybox' });
    await daemon.client.files.copyIn(ds.id, big, 'big.bin');
    let heapPeak = 0;
    const heapBase = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBase)), 5);
    // Alternate which side goes first: 100 MB writes leave dirty pages that slow whoever follows.
    const steps = {
      [`${engine} cp in`]: () => cli('cp', big, `${s.containerName}:/workspace/big-cli.bin`),
      'berth copyIn': () => berth.files.copyIn(s.id, big, 'big-berth.bin'),
      [`${engine} cp out`]: () => cli('cp', `${s.containerName}:/workspace/big-cli.bin`, join(dir, 'out-cli.bin')),
      'berth copyOut': () => berth.files.copyOut(s.id, 'big-berth.bin', join(dir, 'out-berth.bin')),
      'berth cp (CLI, daemon)': () => run(process.execPath, [BIN, '--socket', daemon.socket, 'cp', `${ds.id}:big.bin`, join(dir, 'out-cp.bin')]),
      // For reference: dockerode's getArchive (node:http) read and dropped, nothing written.
      'dockerode getArchive, read only': async () => {
        const body = await raw.getContainer(s.containerName).getArchive({ path: '/workspace/big-berth.bin' });
        await new Promise((resolve, reject) => body.on('end', resolve).on('error', reject).resume());
      },
    };
    const pairs = [[`${engine} cp in`, 'berth copyIn'], [`${engine} cp out`, 'berth copyOut', 'berth cp (CLI, daemon)', 'dockerode getArchive, read only']];
    for (let k = 0; k < Math.max(5, n); k++) {
      for (const pair of pairs) {
        for (const who of k % 2 ? [...pair].reverse() : pair) rows[who].push(await timed(steps[who]));
      }
    }
    clearInterval(sampler);
    report(`${engine}: one 100 MB file`, { [`${engine} cp in`]: rows[`${engine} cp in`], 'berth copyIn': rows['berth copyIn'] }, `${engine} cp in`, { 'berth copyIn': 1.2 });
    report(
      `${engine}: one 100 MB file`,
      {
        [`${engine} cp out`]: rows[`${engine} cp out`],
        'berth copyOut': rows['berth copyOut'],
        'berth cp (CLI, daemon)': rows['berth cp (CLI, daemon)'],
        'dockerode getArchive, read only': rows['dockerode getArchive, read only'],
      },
      `${engine} cp out`,
      { 'berth copyOut': 1.2 },
    );
    console.log(`  heap growth during the copies: ${(heapPeak / 1024 / 1024).toFixed(1)} MiB (target < 32 MiB: ${heapPeak < 32 * 1024 * 1024 ? 'met' : 'MISSED'})`);
    await daemon.stop();

    // fork vs cold create.
    const fr = { 'cold session create': [], fork: [] };
    const made = [];
    for (let k = 0; k < n; k++) {
      const t1 = performance.now();
      made.push((await berth.sessions.create({ image: 'berth-fixture:busybox' })).id);
      fr['cold session create'].push(performance.now() - t1);
      const t2 = performance.now();
      made.push((await berth.sessions.fork(s.id)).id);
      fr.fork.push(performance.now() - t2);
    }
    report(`${engine}: fork (commit + create) vs a cold create`, fr, 'cold session create');
    for (const id of made) await berth.sessions.remove(id);
  } finally {
    await berth.sessions.remove(s.id);
    await berth.close();
  }
}
rmSync(dir, { recursive: true, force: true });
