// Starts a `berth daemon` child process on a temp socket and data dir for a bench.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthClient } from '../dist/client/client.js';

export const BIN = new URL('../bin/berth.cjs', import.meta.url).pathname;

/** `prepare(dir)` may write config into `<dir>/data` before the daemon starts. */
export async function startBenchDaemon(engine, prepare) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  prepare?.(dir);
  const socket = join(dir, 'berth.sock');
  const child = spawn(process.execPath, [BIN, '--socket', socket, 'daemon', '--data-dir', join(dir, 'data'), '--engine', engine, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = BerthClient.connect({ socketPath: socket });
  for (let i = 0; i < 200; i++) {
    try {
      await client.ping();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    dir,
    socket,
    child,
    client,
    async stop() {
      for (const s of await client.sessions.list({ all: true })) await client.sessions.remove(s.id).catch(() => undefined);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid) {
  const { readFileSync } = fs;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}


