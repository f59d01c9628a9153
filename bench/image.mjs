// Base images: sizes, warm build times and container start times, per engine.
// node bench/image.mjs [--engine docker|podman|both] [--n 10]  (after `npm run build` and
// scripts/debian-base.sh; builds berth-image:ubuntu on the Debian base when missing).
// Start time: `<cli> run --rm --network none IMAGE true`, whole CLI process, busybox fixture as the baseline.
import { execFileSync } from 'node:child_process';
import { Berth } from '../dist/index.js';
import { benchArgs, report, summary, timed } from './lib.mjs';

const { engines, n } = benchArgs(10);
const DEBIAN_BASE = 'berth-base:debian-bookworm';
const env = (engine) => (engine === 'docker' ? { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } : process.env);
const cli = (engine, args) => execFileSync(engine, args, { env: env(engine), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

for (const engine of engines) {
  const berth = await Berth.connect({ engine, baseImages: { ubuntu: DEBIAN_BASE } });
  const ensured = await berth.images.ensureBaseImage('ubuntu');
  const noop = [];
  for (let i = 0; i < 5; i++) noop.push(await timed(() => berth.images.ensureBaseImage('ubuntu')));
  const cached = await timed(() => berth.images.ensureBaseImage('ubuntu', { force: true }));
  console.log(`\n${engine}: berth-image:ubuntu ${ensured.built ? `built now in ${(ensured.durationMs / 1000).toFixed(1)} s` : 'was current'}; ensure no-op p50 ${summary(noop).p50.toFixed(0)} ms; rebuild on the layer cache ${(cached / 1000).toFixed(1)} s`);
  for (const image of ['berth-fixture:busybox', DEBIAN_BASE, 'berth-image:ubuntu']) {
    const info = await berth.engineClient.inspectImage(image);
    console.log(`  size ${image.padEnd(28)} ${info ? mb(info.size) : 'missing'}`);
  }
  const rows = { 'busybox fixture': [], 'berth-image:ubuntu': [] };
  for (let i = 0; i < n; i++) {
    rows['busybox fixture'].push(await timed(async () => cli(engine, ['run', '--rm', '--network', 'none', 'berth-fixture:busybox', 'true'])));
    rows['berth-image:ubuntu'].push(await timed(async () => cli(engine, ['run', '--rm', '--network', 'none', 'berth-image:ubuntu', 'true'])));
  }
  report(`${engine} run --rm --network none IMAGE true (whole CLI process)`, rows, 'busybox fixture');
  await berth.close();
}
