// Builds the dashboard (web/) into dist/web/: index.html, app.js, app.css (xterm.js's
// stylesheet included) and the terminal's chunk. Everything ships in the package; nothing is fetched at run time.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const at = (p) => new URL(`../${p}`, import.meta.url).pathname;
rmSync(at('dist/web'), { recursive: true, force: true });
mkdirSync(at('dist/web'), { recursive: true });
await build({
  entryPoints: { app: at('web/src/main.tsx') },
  outdir: at('dist/web'),
  bundle: true,
  format: 'esm',
  // xterm.js (most of the weight) is a chunk of its own, loaded by the terminal tab.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(at('web/index.html'), at('dist/web/index.html'));
