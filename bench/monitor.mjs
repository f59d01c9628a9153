// Watching many sessions: N idle sessions sampled at 1 Hz for D seconds by a daemon.
// Prints the daemon's CPU use (% of one core, from /proc), the sampling tick's p50/p99
// (from /v1/info each second), and in the same run one tick through the engine's stats
// API (the fallback path) and one `docker stats --no-stream` / `podman stats --no-stream`.
// Usage: node bench/monitor.mjs [--engine docker|podman|both] [--n 100] [--seconds 60]
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Berth } from '../dist/index.js';
import { Sampler } from '../dist/monitor/sampler.js';
import { AlertManager } from '../dist/monitor/alert-manager.js';
import { EventBus } from '../dist/monitor/event-bus.js';
import { MonitorRepository } from '../dist/store/monitor-repository.js';
import { openDatabase } from '../dist/store/database.js';
import { silentLogger } from '../dist/common/logger.js';
import { startBenchDaemon } from './daemon-lib.mjs';
import { report, timed } from './lib.mjs';

const run = promisify(execFile);
const { values } = parseArgs({ options: { engine: { type: 'string', default: 'both' }, n: { type: 'string', default: '100' }, seconds: { type: 'string', default: '60' } } });
const engines = values.engine === 'both' ? ['docker', 'podman'] : [values.engine];
const N = Number(values.n);
const SECONDS = Number(values.seconds);
const HZ = 100; // USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};

for (const engine of engines) {
  const d = await startBenchDaemon(engine, (dir) => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'config.json'), JSON.stringify({ sampleIntervalMs: 1000 }));
  });
  const ids = [];
  for (let i = 0; i < N; i += 10) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(10, N - i) }, () => d.client.sessions.create({ image: 'berth-fixture:busybox' })))).map((s) => s.id));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const pid = d.child.pid;
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  const ticks = [];
  // The last tick's duration, read every 2 s (reading it costs the daemon a request too).
  for (let s = 0; s < SECONDS; s += 2) {
    await new Promise((r) => setTimeout(r, 2000));
    const info = await d.client.info();
    if (info.monitor?.lastTickMs != null) ticks.push(info.monitor.lastTickMs);
  }
  const cpuPct = ((cpuTicks(pid) - c0) / HZ / ((performance.now() - t0) / 1000)) * 100;
  const latest = await d.client.monitor.stats();

  // The fallback path and the engine CLI, over the same containers, in this process.
  const berth = await Berth.connect({ engine, instance: `bench-monitor-${process.pid}`, database: join(d.dir, 'data', 'berth.db') });
  const apiSampler = new Sampler({
    engine: berth.engineClient, sessions: berth.repo, store: new MonitorRepository(openDatabase({ path: ':memory:' }).db),
    alerts: new AlertManager(new MonitorRepository(openDatabase({ path: ':memory:' }).db), new EventBus(), silentLogger()), log: silentLogger(), source: 'api',
  });
  const apiTick = [await timed(() => apiSampler.tick()), await timed(() => apiSampler.tick())];
  const names = (await d.client.sessions.list({})).map((s) => s.containerName);
  const cliArgs = engine === 'docker' ? ['-H', `unix://${berth.engine.socketPath}`, 'stats', '--no-stream', ...names] : ['stats', '--no-stream', ...names];
  const cliTick = [await timed(() => run(engine, cliArgs, { maxBuffer: 1 << 24 }))];
  await berth.close();

  console.log(`\n${engine}: ${N} idle sessions sampled at 1 Hz for ${SECONDS} s`);
  console.log(`  daemon CPU: ${cpuPct.toFixed(2)}% of one core (target <= 2%: ${cpuPct <= 2 ? 'met' : 'MISSED'}); samples in the last tick: ${latest.length}, source ${latest[0]?.source}`);
  report(`${engine}: one sampling pass over ${N} containers, ms`, { 'berth tick (cgroup files)': ticks, 'berth tick (engine stats API)': apiTick, [`${engine} stats --no-stream`]: cliTick }, `${engine} stats --no-stream`);
  const p99 = [...ticks].sort((a, b) => a - b)[Math.ceil(ticks.length * 0.99) - 1];
  console.log(`  berth tick p99 ${p99?.toFixed(1)} ms (target <= 50 ms: ${p99 <= 50 ? 'met' : 'MISSED'})`);
  await d.stop();
}
