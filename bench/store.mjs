// 500 sessions in the store: GET /v1/sessions?all=true latency (vs GET /v1/ping on the same daemon),
// and the daemon's RSS per idle session (20 real sessions).
// Usage: node bench/store.mjs [--engine docker|podman] [--n 200]
import { join } from 'node:path';
import { openDatabase } from '../dist/store/database.js';
import { SessionRepository } from '../dist/store/session-repository.js';
import { BerthClient } from '../dist/client/client.js';
import { rssMiB, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, summary, timed } from './lib.mjs';

const { engines, n } = benchArgs(200);
const engine = engines[0];

const d = await startBenchDaemon(engine);
const baseRss = rssMiB(d.child.pid);
const idle = 20;
for (let i = 0; i < idle; i++) await d.client.sessions.create({ image: 'berth-fixture:busybox' });
await new Promise((r) => setTimeout(r, 1000));
const perSession = ((rssMiB(d.child.pid) - baseRss) * 1024) / idle;

// 500 more rows written straight into the store (ended sessions: no containers needed).
const { db } = openDatabase({ path: join(d.dir, 'data', 'berth.db') });
const repo = new SessionRepository(db);
for (let i = 0; i < 500; i++) {
  const id = `s-bench${String(i).padStart(5, '0')}`;
  repo.insert({ id, name: id, spec: { image: 'berth-fixture:busybox', memory: '512m' }, labels: { bench: 'yes' }, engine, containerName: `berth-${id}`, baseDir: '/workspace', confine: true, now: Date.now() });
  repo.transition(id, 'ended', 'bench row', Date.now());
}
db.close();

const client = BerthClient.connect({ socketPath: d.socket });
const rows = { 'GET /v1/ping': [], 'GET /v1/sessions (520)': [] };
let count = 0;
for (let i = 0; i < n; i++) {
  rows['GET /v1/ping'].push(await timed(() => client.ping()));
  rows['GET /v1/sessions (520)'].push(await timed(async () => (count = (await client.sessions.list({ all: true })).length)));
}
report(`${engine}: listing ${count} sessions through the API`, rows, 'GET /v1/ping');
const p99 = summary(rows['GET /v1/sessions (520)']).p99;
console.log(`  list p99 ${p99.toFixed(1)} ms (target < 50 ms: ${p99 < 50 ? 'met' : 'MISSED'})`);
console.log(`  daemon RSS: ${baseRss.toFixed(1)} MiB idle, +${perSession.toFixed(0)} KiB per idle session (${idle} sessions)`);
await d.stop();
