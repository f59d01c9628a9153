import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { BerthError } from '../common/errors.js';
import { loadMigrations, type Migration } from './migrations.js';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Default: the files in `migrations/`. */
  migrations?: Migration[];
  /** ms to wait for another writer's lock; default 5000. */
  busyTimeoutMs?: number;
}

export interface OpenedDatabase {
  db: Database;
  /** Schema version after migrating. */
  version: number;
  /** Migrations applied by this open (empty when current). */
  applied: number[];
}

/**
 * Opens (or creates) the store: WAL, `synchronous=FULL`, a busy timeout, foreign keys,
 * a quick integrity check, then forward-only migrations, each in its own transaction,
 * stamped in `user_version`. Refuses a database newer than the code, and a corrupt one,
 * without changing either.
 */
export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  const migrations = options.migrations ?? loadMigrations();
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(options.path);
  } catch (err) {
    throw new BerthError('Internal', `cannot open the database at ${options.path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new BerthError('Internal', `the database at ${options.path} is corrupt (quick_check: ${String(check)}); it was left as it is. Restore it from a backup or move it aside.`, {
        details: { path: options.path },
      });
    }
    const current = db.pragma('user_version', { simple: true }) as number;
    const latest = migrations.length;
    if (current > latest) {
      throw new BerthError('Conflict', `the database at ${options.path} has schema version ${current}, newer than this berth knows (${latest}); upgrade berth, nothing was changed`, {
        details: { path: options.path, version: current, supported: latest },
      });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const applied: number[] = [];
    for (const m of migrations.slice(current)) {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
      applied.push(m.version);
    }
    return { db, version: latest, applied };
  } catch (err) {
    db.close();
    if (err instanceof BerthError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new BerthError('Internal', `the database at ${options.path} is corrupt or not a database (${code}); it was left as it is`, {
        details: { path: options.path },
        cause: err,
      });
    }
    throw new BerthError('Internal', `cannot prepare the database at ${options.path}: ${(err as Error).message}`, { cause: err });
  }
}
