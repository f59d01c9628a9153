// Bundles the CLI (dist/cli/main.js and what it imports, commander included) into one
// CommonJS file, dist/cli/berth.cjs. A short-lived `berth exec` then loads one file and
// skips the ESM loader (about 10 ms of its start-up). The engine stack (dockerode,
// fastify, better-sqlite3, ...) stays external and is only required by `berth daemon`.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: new URL('../dist/cli/berth.cjs', import.meta.url).pathname,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['dockerode', 'better-sqlite3', 'fastify', 'pino', 'zod', 'tar-fs', 'tar-stream', 'node-pty', 'ws', 'prom-client'],
  define: { 'import.meta.url': '__berth_import_meta_url' },
  banner: { js: "const __berth_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
