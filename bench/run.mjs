// Runs every bench, both engines, in one go: node bench/run.mjs (after `npm run build`)
import { spawnSync } from 'node:child_process';

for (const script of ['lifecycle.mjs', 'exec.mjs', 'session-create.mjs', 'cli.mjs', 'store.mjs', 'files.mjs', 'shell.mjs', 'monitor.mjs', 'security.mjs', 'workflow.mjs']) {
  const r = spawnSync(process.execPath, [new URL(script, import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
