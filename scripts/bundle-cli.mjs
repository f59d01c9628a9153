// Bundles the CLI (dist/cli/main.js and what it imports, commander included) into
// dist/cli/bundle/, with code splitting so the daemon and engine stack stay in lazy chunks.
// Fewer files to resolve and load at start-up: `berth exec` is a short-lived process.
import { build } from 'esbuild';

await build({
  entryPoints: { berth: new URL('../dist/cli/main.js', import.meta.url).pathname },
  outdir: new URL('../dist/cli/bundle/', import.meta.url).pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['dockerode', 'better-sqlite3', 'fastify', 'pino', 'zod', 'tar-fs', 'tar-stream', 'node-pty', 'ws', 'prom-client'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
