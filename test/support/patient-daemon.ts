import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthClient } from '../../src/client/client.js';
import type { DaemonProcess } from './daemon.js';
import { engineUnderTest } from './engine.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

export interface PatientDaemonOptions {
  /** Daemon flags after `daemon --data-dir DIR`; default `--engine <engine under test>`. */
  args?: string[];
  env?: Record<string, string>;
  /** Start under this umask (octal string, through sh). */
  umask?: string;
  /** How long to wait for the first ping, ms; default 90000 (a loaded engine can take seconds per call). */
  waitMs?: number;
}

/**
 * `spawnDaemon` with patience: starts `berth --socket S daemon --data-dir D ...` (log at
 * debug) and waits until it answers, or it exits, or `waitMs` passes.
 */
export async function startPatientDaemon(dirs: { dataDir: string; socket: string }, o: PatientDaemonOptions = {}): Promise<DaemonProcess> {
  const argv = [BIN, '--socket', dirs.socket, 'daemon', '--data-dir', dirs.dataDir, ...(o.args ?? ['--engine', engineUnderTest()]), '--log-level', 'debug'];
  const opts = { env: { ...process.env, ...o.env }, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
  const child = o.umask ? spawn('/bin/sh', ['-c', `umask ${o.umask}; exec "$0" "$@"`, process.execPath, ...argv], opts) : spawn(process.execPath, argv, opts);
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const client = BerthClient.connect({ socketPath: dirs.socket });
  const until = Date.now() + (o.waitMs ?? 90_000);
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${log}`);
    if (await client.ping().then(() => true, () => false)) return { child, client, log: () => log, exited };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`daemon did not answer within ${o.waitMs ?? 90_000} ms: ${log}`);
}
