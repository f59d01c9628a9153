import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { groupId, listenOnUnixSocket } from '../../src/daemon/unix-socket.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the unix socket', () => {
  it('has no moment with a loose mode: under umask 000, when the server starts listening its socket sits in a 0700 dir, and appears at its path as 0600', async () => {
    const base = mkdtempSync(join(tmpdir(), 'berth-sock-'));
    dirs.push(base);
    const path = join(base, 'run', 'berth.sock');
    const app = Fastify();
    const seen: string[] = [];
    app.server.once('listening', () => {
      const bound = app.server.address() as string;
      seen.push(`bound dir ${(lstatSync(dirname(bound)).mode & 0o777).toString(8)}`);
      try {
        seen.push(`path ${(lstatSync(path).mode & 0o777).toString(8)}`);
      } catch {
        seen.push('path absent');
      }
    });
    const before = process.umask(0);
    try {
      await listenOnUnixSocket(app, path, { log: silentLogger() });
    } finally {
      process.umask(before);
    }
    try {
      expect(seen).toEqual(['bound dir 700', 'path absent']);
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
      expect(lstatSync(dirname(path)).mode & 0o777).toBe(0o700);
    } finally {
      await app.close();
    }
  });

  it('replaces a stale socket file, and refuses a shared directory', async () => {
    const base = mkdtempSync(join(tmpdir(), 'berth-sock-'));
    dirs.push(base);
    const path = join(base, 'berth.sock');
    writeFileSync(path, 'stale');
    const app = Fastify();
    await listenOnUnixSocket(app, path, { log: silentLogger() });
    expect(lstatSync(path).isSocket()).toBe(true);
    await app.close();
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    await expect(listenOnUnixSocket(Fastify(), join(shared, 's.sock'), { log: silentLogger() })).rejects.toThrow(/is shared/);
  });

  it('resolves a socket group by name or gid, and names a missing one', () => {
    const base = mkdtempSync(join(tmpdir(), 'berth-group-'));
    dirs.push(base);
    writeFileSync(join(base, 'group'), 'root:x:0:\nberth:x:987:alice\n');
    expect(groupId('berth', join(base, 'group'))).toBe(987);
    expect(groupId('42', join(base, 'group'))).toBe(42);
    expect(() => groupId('nope', join(base, 'group'))).toThrow(/groupadd nope/);
  });
});
