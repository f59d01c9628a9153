import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Berth } from '../../../src/index.js';
import { daemonDirs } from '../../support/daemon.js';
import { runId, TEST_LABEL } from '../../support/names.js';

/** Exited (gone, or a zombie nobody reaped yet: PID 1 here reaps late). */
const exited = (pid: number): boolean => {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (exited(pid)) return true;
    await sleep(50);
  }
  return exited(pid);
}

describe('local backend: process groups across a daemon restart', () => {
  const dirs = daemonDirs('local-restart');
  const strays: number[] = [];
  const open = () => Berth.connect({ backend: 'local', localRoot: join(dirs.dir, 'local'), database: join(dirs.dir, 'b.db') });

  afterEach(() => {
    for (const pid of strays.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  /** A session running a background process that outlives its exec; returns the process id. */
  async function withBackground(b: Berth): Promise<{ id: string; pid: number }> {
    const s = await b.sessions.create({ labels: { [TEST_LABEL]: runId() } });
    const r = await b.sessions.exec(s.id, { cmd: ['sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!'] });
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(1);
    strays.push(pid);
    expect(exited(pid)).toBe(false);
    return { id: s.id, pid };
  }

  it('stop after a restart still kills the processes a session started before it', async () => {
    let b = await open();
    const { id, pid } = await withBackground(b);
    await b.close();
    b = await open();
    try {
      await b.sessions.stop(id, { graceSeconds: 1 });
      expect(await gone(pid)).toBe(true);
    } finally {
      await b.sessions.remove(id).catch(() => undefined);
      await b.close();
    }
  });

  it('rm after a restart still kills them, and the directory is gone', async () => {
    let b = await open();
    const { id, pid } = await withBackground(b);
    const dir = (await b.sessions.get(id)).containerId!;
    await b.close();
    b = await open();
    try {
      await b.sessions.remove(id);
      expect(await gone(pid)).toBe(true);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await b.close();
    }
  });

  it('a recorded process group id now used by an unrelated group is not signalled', async () => {
    let b = await open();
    const s = await b.sessions.create({ labels: { [TEST_LABEL]: runId() } });
    const dir = (await b.sessions.get(s.id)).containerId!;
    await b.close();
    // An unrelated process group (not started by berth), then a forged record naming it.
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    strays.push(stranger.pid!);
    const db = new Sqlite(join(dirs.dir, 'b.db'));
    db.prepare(`INSERT INTO local_process_groups (dir, pgid, marker, leader_start, started_at) VALUES (?, ?, 'not-its-marker', NULL, ?)`).run(dir, stranger.pid, Date.now());
    db.close();
    b = await open();
    try {
      await b.sessions.remove(s.id);
      expect(stranger.exitCode).toBeNull();
      expect(stranger.signalCode).toBeNull();
      expect(exited(stranger.pid!)).toBe(false);
    } finally {
      await b.close();
    }
  });
});
