import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../common/errors.js';
import { packageRoot } from '../common/package-root.js';

/** `migrations/` at the package root (next to `src/` and `dist/`). */
export const migrationsDir = (): string => join(packageRoot(), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNN-name.sql` files in version order; versions must run 1, 2, 3 … without gaps. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f)).sort();
  return files.map((file, i) => {
    const version = Number(file.slice(0, 3));
    if (version !== i + 1) {
      throw new BerthError('Internal', `migration ${file} should be number ${i + 1}: migrations must be numbered without gaps`);
    }
    return { version, name: file.slice(4, -4), sql: readFileSync(join(dir, file), 'utf8') };
  });
}
