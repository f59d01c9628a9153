import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The berth package's root directory (where package.json and migrations/ live), found by
 * walking up from this module, so it holds from src/, dist/ and the bundled CLI alike.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'migrations'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the berth package root (package.json next to migrations/)');
    dir = up;
  }
  return (root = dir);
}
