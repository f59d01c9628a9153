import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built file of the dashboard, held in memory (the whole app is a few hundred KiB). */
export interface StaticAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Where the build puts the dashboard: `dist/web/` (next to `dist/ui/` and `dist/cli/`). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/** Security headers of every dashboard file: same-origin only, no framing, no referrer to other origins (`no-referrer` would make form posts send `Origin: null`). */
export const UI_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-cache',
};

/** Reads the built dashboard (`index.html`, `app.js`, `app.css`, ...) by URL name; empty when not built. */
export function loadStaticAssets(dir: string = DEFAULT_WEB_DIR): Map<string, StaticAsset> {
  const out = new Map<string, StaticAsset>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    out.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
  }
  return out;
}
