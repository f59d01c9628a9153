import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { openDatabase } from '../../src/store/database.js';
import { loadMigrations } from '../../src/store/migrations.js';
import { SessionRepository } from '../../src/store/session-repository.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const newSession = (id: string, now = 1000) => ({
  id,
  name: `n-${id}`,
  spec: { image: 'img' },
  labels: { team: 'a' },
  engine: 'docker',
  containerName: `berth-${id}`,
  baseDir: '/workspace',
  confine: true,
  now,
});

describe('openDatabase', () => {
  it('migrates an empty database to the latest version with WAL and synchronous=FULL', () => {
    const path = join(dir, 'a.db');
    const { db, version, applied } = openDatabase({ path });
    expect(version).toBe(loadMigrations().length);
    expect(applied).toEqual(loadMigrations().map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(version);
    db.close();
    const again = openDatabase({ path });
    expect(again.applied).toEqual([]);
    again.db.close();
  });

  it('applies only the missing migrations, from every earlier version, one transaction each', () => {
    const mdir = join(dir, 'migrations');
    mkdirSync(mdir);
    writeFileSync(join(mdir, '001-a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(mdir, '002-b.sql'), 'CREATE TABLE b (y INTEGER);');
    writeFileSync(join(mdir, '003-c.sql'), 'ALTER TABLE a ADD COLUMN z TEXT;');
    const all = loadMigrations(mdir);
    for (let from = 0; from <= all.length; from++) {
      const path = join(dir, `from-${from}.db`);
      openDatabase({ path, migrations: all.slice(0, from) }).db.close();
      const { db, applied } = openDatabase({ path, migrations: all });
      expect(applied).toEqual(all.slice(from).map((m) => m.version));
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`).all()).toEqual([{ name: 'a' }, { name: 'b' }]);
      db.close();
    }
  });

  it('rolls back a failing migration and leaves the version where it was', () => {
    const mdir = join(dir, 'bad');
    mkdirSync(mdir);
    writeFileSync(join(mdir, '001-ok.sql'), 'CREATE TABLE ok (x);');
    writeFileSync(join(mdir, '002-bad.sql'), 'CREATE TABLE half (x); THIS IS NOT SQL;');
    const path = join(dir, 'bad.db');
    expect(() => openDatabase({ path, migrations: loadMigrations(mdir) })).toThrow(BerthError);
    const raw = new BetterSqlite3(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name='half'`).get()).toBeUndefined();
    raw.close();
  });

  it('refuses a database newer than the code and changes nothing', () => {
    const path = join(dir, 'new.db');
    const raw = new BetterSqlite3(path);
    raw.pragma('user_version = 99');
    raw.close();
    const err = (() => {
      try {
        openDatabase({ path });
      } catch (e) {
        return e;
      }
    })();
    expect(BerthError.is(err, 'Conflict')).toBe(true);
    expect((err as Error).message).toContain('newer than this berth knows');
    const after = new BetterSqlite3(path);
    expect(after.pragma('user_version', { simple: true })).toBe(99);
    expect(after.prepare(`SELECT COUNT(*) AS n FROM sqlite_master`).get()).toEqual({ n: 0 });
    after.close();
  });

  it('reports a corrupt file with its path and does not overwrite it', () => {
    const path = join(dir, 'corrupt.db');
    const junk = Buffer.alloc(8192, 0x5a);
    writeFileSync(path, junk);
    const err = (() => {
      try {
        openDatabase({ path });
      } catch (e) {
        return e;
      }
    })();
    expect(BerthError.is(err)).toBe(true);
    expect((err as Error).message).toContain(path);
    expect(readFileSync(path).equals(junk)).toBe(true);
  });
});

describe('SessionRepository', () => {
  it('stores sessions, transitions with reasons, exec history and label filters', () => {
    const { db } = openDatabase({ path: ':memory:' });
    const repo = new SessionRepository(db);
    repo.insert(newSession('s1'));
    repo.insert({ ...newSession('s2'), labels: { team: 'b' } });
    expect(repo.get('s1')?.state).toBe('creating');
    expect(repo.transition('s1', 'running', 'started', 2000, ['creating'])).toBe(true);
    expect(repo.transition('s1', 'running', 'again', 2001, ['creating'])).toBe(false);
    repo.recordExec('s1', { cmd: ['echo', 'hi'], exitCode: 3, durationMs: 12, bytesOut: 5, timedOut: false }, 3000);
    expect(repo.execHistory('s1')).toEqual([{ at: new Date(3000).toISOString(), cmd: ['echo', 'hi'], exitCode: 3, durationMs: 12, bytesOut: 5, timedOut: false }]);
    expect(repo.get('s1')?.lastActiveAt).toBe(new Date(3000).toISOString());
    expect(repo.events('s1').map((e) => `${e.from ?? ''}>${e.to}:${e.reason}`)).toEqual(['>creating:created', 'creating>running:started']);
    expect(repo.list({ labels: { team: 'b' } }).map((s) => s.id)).toEqual(['s2']);
    expect(repo.list({ states: ['running'] }).map((s) => s.id)).toEqual(['s1']);
    expect(repo.find('n-s2')?.id).toBe('s2');
    repo.transition('s2', 'ended', 'bye', 4000);
    expect(repo.get('s2')).toMatchObject({ state: 'ended', endReason: 'bye', endedAt: new Date(4000).toISOString() });
    expect(repo.countByState()).toEqual({ running: 1, ended: 1 });
    expect(() => repo.insert({ ...newSession('s3'), name: 'n-s1' })).toThrow(/UNIQUE/);
    db.close();
  });

  it('frees a name when its session ends; the old record stays, by id; the name finds the live one; prune deletes ended records', () => {
    const { db } = openDatabase({ path: join(dir, 'names.db') });
    const repo = new SessionRepository(db);
    repo.insert({ ...newSession('a1', 1000), name: 'dev' });
    expect(repo.nameTaken('dev')).toBe(true);
    repo.transition('a1', 'ended', 'removed', 2000);
    expect(repo.nameTaken('dev')).toBe(false);
    repo.insert({ ...newSession('a2', 3000), name: 'dev' });
    expect(() => repo.insert({ ...newSession('a3', 3500), name: 'dev' })).toThrow(/UNIQUE/);
    expect(repo.find('dev')?.id).toBe('a2');
    expect(repo.find('a1')).toMatchObject({ id: 'a1', name: 'dev', state: 'ended' });
    repo.transition('a2', 'failed', 'oops', 4000);
    expect(repo.find('dev')?.id).toBe('a2');
    expect(repo.prune(3000)).toEqual(['a1']);
    expect(repo.get('a1')).toBeUndefined();
    expect(repo.events('a1')).toEqual([]);
    expect(repo.prune(5000)).toEqual(['a2']);
    db.close();
  });

  it('the session-names migration keeps the names of sessions made before it', () => {
    const path = join(dir, 'old.db');
    const all = loadMigrations();
    const at = all.findIndex((m) => m.name === 'session-names');
    const old = openDatabase({ path, migrations: all.slice(0, at) });
    old.db.prepare(`INSERT INTO sessions (id, name, state, spec, engine, created_at, last_active_at) VALUES ('o1', 'keep', 'running', '{}', 'docker', 1, 1)`).run();
    old.db.prepare(`INSERT INTO container_bindings (session_id, container_name, bound_at) VALUES ('o1', 'berth-o1', 1)`).run();
    old.db.close();
    const { db } = openDatabase({ path });
    const repo = new SessionRepository(db);
    expect(repo.get('o1')).toMatchObject({ name: 'keep' });
    expect(repo.nameTaken('keep')).toBe(true);
    db.close();
  });

  it('keeps every write from two connections writing at once (busy timeout, immediate transactions)', async () => {
    const path = join(dir, 'concurrent.db');
    openDatabase({ path }).db.close();
    const { Worker } = await import('node:worker_threads');
    const script = `
      const { workerData, parentPort } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.path);
      db.pragma('busy_timeout = 5000');
      for (let i = 0; i < 300; i++) {
        db.transaction(() => {
          db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(workerData.prefix + i, 'v');
        }).immediate();
      }
      db.close();
      parentPort.postMessage('done');`;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const run = (prefix: string) =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(script, { eval: true, workerData: { path, prefix, driver } });
        w.once('message', () => resolve());
        w.once('error', reject);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    const { db } = openDatabase({ path });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM meta`).get()).toEqual({ n: 900 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
