// The dashboard's page weight (JS and CSS, gzipped) and the time to a filled sessions table
// with 200 sessions, in Debian's chromium (playwright-core), against the same page's bare
// `fetch('/v1/sessions')` (JSON parsed, nothing drawn) as the baseline.
// The 200 sessions are rows written into the daemon's store (running, each with a sample),
// so no container is needed for them. Usage: node bench/dashboard.mjs [--engine docker|podman] [--n 10]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { openDatabase } from '../dist/store/database.js';
import { MonitorRepository } from '../dist/store/monitor-repository.js';
import { SessionRepository } from '../dist/store/session-repository.js';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report } from './lib.mjs';

const { engines, n } = benchArgs(10);
const engine = engines[0];
const ROWS = 200;

const web = new URL('../dist/web/', import.meta.url).pathname;
let total = 0;
console.log('dashboard page weight (dist/web, gzip -9):');
for (const f of readdirSync(web).sort()) {
  const raw = readFileSync(join(web, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`  ${f.padEnd(12)} ${(raw.length / 1024).toFixed(1).padStart(7)} KiB raw  ${(gz / 1024).toFixed(1).padStart(6)} KiB gzipped`);
}
console.log(`  total        ${(total / 1024).toFixed(1).padStart(22)} KiB gzipped`);

const d = await startBenchDaemon(engine);
const { db } = openDatabase({ path: join(d.dir, 'data', 'berth.db') });
const repo = new SessionRepository(db);
const monitor = new MonitorRepository(db);
const now = Date.now();
for (let i = 0; i < ROWS; i++) {
  const id = `s-dash${String(i).padStart(5, '0')}`;
  repo.insert({ id, name: `bench-${i}`, spec: { image: 'berth-fixture:busybox' }, labels: { bench: 'dashboard' }, engine, containerName: `berth-${id}`, baseDir: '/workspace', confine: true, now });
  repo.transition(id, 'running', 'bench row', now);
  monitor.insertSamples([{ sessionId: id, at: new Date(now).toISOString(), cpuPercent: i % 100, memoryBytes: 1e6 * (i + 1), memoryLimitBytes: 0, memoryPercent: 0, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 1, source: 'cgroup' }]);
}
monitor.flush();
db.close();

const ui = spawn(process.execPath, [BIN, '--socket', d.socket, 'ui'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  let out = '';
  ui.stdout.on('data', (c) => {
    out += c;
    const m = /(http:\/\/\S+\/ui\/login\?code=\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
});
const origin = new URL(url).origin;
const browser = await chromium.launch({ executablePath: process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'] });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // Main-thread long tasks (> 50 ms), and the moment the DOM first holds every row with its
  // CPU/memory cells (a MutationObserver: playwright's polling would add its own latency).
  await page.addInitScript(() => {
    window.__long = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long += e.duration;
    }).observe({ type: 'longtask', buffered: true });
    new MutationObserver(() => {
      if (window.__filled) return;
      const rows = document.querySelectorAll('tr[data-session]').length;
      if (rows >= 200 && [...document.querySelectorAll('tr[data-session] td.num')].some((td) => td.textContent.includes('%'))) window.__filled = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=sessions-table]');
  const FILLED = `table filled (${ROWS} rows)`;
  const rows = { 'fetch /v1/sessions (JSON)': [], [FILLED]: [] };
  const longTasks = [];
  for (let i = 0; i < n; i++) {
    rows['fetch /v1/sessions (JSON)'].push(
      await page.evaluate(async () => {
        const t0 = performance.now();
        await (await fetch('/v1/sessions?all=true&limit=1000')).json();
        return performance.now() - t0;
      }),
    );
    // A fresh navigation each time (cache: revalidated by ETag), timed from navigation start.
    await page.goto('about:blank');
    await page.goto(`${origin}/ui/#/sessions`);
    await page.waitForFunction((want) => document.querySelectorAll('tr[data-session]').length >= want && [...document.querySelectorAll('tr[data-session] td.num')].some((td) => td.textContent.includes('%')), ROWS);
    const t = await page.evaluate(() => ({ filled: window.__filled, long: window.__long }));
    rows[FILLED].push(t.filled);
    longTasks.push(t.long);
  }
  report(`${engine}: time to a filled sessions table in chromium (from navigation start; n=${n})`, rows, 'fetch /v1/sessions (JSON)');
  longTasks.sort((a, b) => a - b);
  console.log(`  main-thread long tasks per load: p50 ${longTasks[Math.floor(longTasks.length / 2)].toFixed(0)} ms; load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);
} finally {
  await browser.close();
  ui.kill('SIGINT');
  await new Promise((r) => ui.once('exit', r));
  // The rows have no containers: remove them from the store by stopping the daemon with them.
  d.child.kill('SIGTERM');
  await new Promise((r) => d.child.once('exit', r));
  const { rmSync } = await import('node:fs');
  rmSync(d.dir, { recursive: true, force: true });
}
