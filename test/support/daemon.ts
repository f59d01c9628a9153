import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthClient } from '../../src/client/client.js';
import { engineUnderTest } from './engine.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** A temp data dir and socket for one daemon; `rm()` removes them. */
export function daemonDirs(hint: string): { dir: string; dataDir: string; socket: string; rm: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${hint}-`));
  return { dir, dataDir: join(dir, 'data'), socket: join(dir, 'berth.sock'), rm: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DaemonProcess {
  child: ChildProcess;
  client: BerthClient;
  /** Everything the daemon wrote to stderr (its log). */
  log: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `berth daemon` (the built CLI) as a child process and waits until it answers ping.
 * `daemonArgs` default to `--engine <engine under test>`.
 */
export async function spawnDaemon(
  dirs: { dataDir: string; socket: string },
  extraEnv: Record<string, string> = {},
  daemonArgs: string[] = ['--engine', engineUnderTest()],
  readyWithinMs = 30_000,
): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'daemon', '--data-dir', dirs.dataDir, ...daemonArgs, '--log-level', 'debug'], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const client = BerthClient.connect({ socketPath: dirs.socket });
  for (let i = 0; i < readyWithinMs / 50; i++) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${log}`);
    try {
      await client.ping();
      return { child, client, log: () => log, exited };
    } catch {
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`daemon did not answer within ${readyWithinMs / 1000} s: ${log}`);
}

/** Runs the CLI once; resolves with its exit code and output. */
export function runCli(socket: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--socket', socket, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
