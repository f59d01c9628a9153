// Bundles the CLI into CommonJS files, so a short-lived `berth` loads one file and skips
// the ESM loader (about 10 ms of its start-up):
// - dist/cli/berth.cjs: the whole CLI (dist/cli/main.js, commander included);
// - dist/cli/berth-exec.cjs: `berth exec SESSION -- CMD...` alone (dist/cli/fast-exec.js).
// The engine stack (dockerode, fastify, better-sqlite3, ...) stays external and is only
// required by `berth daemon`. commander requires child_process (about 4 ms) only for
// executable subcommands, which berth does not use; in the bundle it gets a stub.
// bin/berth.cjs keeps a V8 code cache beside each bundle (*.v8cache); a new build removes them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const dist = (p) => new URL(`../dist/cli/${p}`, import.meta.url).pathname;
const noChildProcess = {
  name: 'commander-without-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "module.exports = { spawn() { throw new Error('berth: executable subcommands are not supported'); } };",
      loader: 'js',
    }));
  },
};

for (const [entry, out] of [['main.js', 'berth.cjs'], ['fast-exec.js', 'berth-exec.cjs']]) {
  await build({
    entryPoints: [dist(entry)],
    outfile: dist(out),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['dockerode', 'better-sqlite3', 'fastify', 'pino', 'zod', 'tar-fs', 'tar-stream', 'node-pty', 'ws', 'prom-client', '@modelcontextprotocol/sdk'],
    define: { 'import.meta.url': '__berth_import_meta_url' },
    banner: { js: "const __berth_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    // import() would need a loader callback under vm.Script (bin/berth.cjs): make it require().
    supported: { 'dynamic-import': false },
    plugins: [noChildProcess],
    logLevel: 'warning',
  });
  rmSync(`${dist(out)}.v8cache`, { force: true });
}
