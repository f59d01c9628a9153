import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Berth } from '../../src/index.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from './daemon.js';
import { engineUnderTest } from './engine.js';
import { runId, TEST_LABEL } from './names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A daemon of its own for a CLI test file, and the CLI against it. */
export interface CliDaemon {
  socket: string;
  dir: string;
  daemon: DaemonProcess;
  /** `berth --socket … ARGS`; `input` goes to stdin (closed after). */
  cli(args: string[], input?: string): Promise<CliResult>;
  /** A shell script with `berth` a function calling this daemon's CLI. */
  sh(script: string): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * Starts `berth daemon` for a CLI test: on the engine under test, or with `local` on the
 * local backend with no engine. Its templates label every session with the run's test
 * label (so the global teardown finds what a failed test left); `close()` stops it and
 * removes every container of its instance.
 */
export async function cliDaemon(hint: string, backend: 'engine' | 'local' = 'engine'): Promise<CliDaemon> {
  const dirs = daemonDirs(hint);
  mkdirSync(dirs.dataDir, { recursive: true });
  const labels = { [TEST_LABEL]: runId() };
  writeFileSync(join(dirs.dataDir, 'config.json'), JSON.stringify({ templates: { default: { image: 'berth-base:debian-bookworm', labels }, busybox: { image: 'berth-fixture:busybox', labels } } }));
  const args = backend === 'local' ? ['--engine-socket', join(dirs.dir, 'no-engine.sock'), '--fallback', 'local', '--backend', 'local'] : ['--engine', engineUnderTest()];
  // A loaded machine can make the engine's first ping time out at start: try again, up to 3 times.
  let daemon: DaemonProcess | undefined;
  for (let attempt = 1; !daemon; attempt++) {
    daemon = await spawnDaemon(dirs, {}, args, 60_000).catch((err: unknown) => {
      if (attempt >= 3 || !String(err).includes('EngineUnavailable')) throw err;
      return undefined;
    });
  }
  const run = (file: string, argv: string[], input?: string) =>
    new Promise<CliResult>((resolve) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BERTH_CLI: `${process.execPath} ${BIN} --socket ${dirs.socket}` } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  return {
    socket: dirs.socket,
    dir: dirs.dir,
    daemon,
    cli: (args, input) => run(process.execPath, [BIN, '--socket', dirs.socket, ...args], input),
    sh: (script) => run('/bin/bash', ['-c', `berth() { $BERTH_CLI "$@"; }\n${script}`]),
    async close() {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
        daemon.child.kill('SIGTERM');
        await Promise.race([daemon.exited, sleep(10_000)]);
      }
      if (backend === 'engine') {
        const instance = instanceOf(dirs.dataDir);
        if (instance) {
          const berth = await Berth.connect({ engine: engineUnderTest(), instance });
          for (const c of await berth.containers.list({ all: true })) await berth.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true }).catch(() => undefined);
          await berth.close();
        }
      }
      dirs.rm();
    },
  };
}

function instanceOf(dataDir: string): string | undefined {
  try {
    const db = new BetterSqlite3(join(dataDir, 'berth.db'), { readonly: true });
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'instance_id'`).get() as { value: string } | undefined;
    db.close();
    return row?.value;
  } catch {
    return undefined;
  }
}

/** The first ```sh block after `heading` in README.md. */
export function readmeBlock(readme: string, heading: string): string {
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README has no "${heading}"`);
  const m = readme.slice(at).match(/```sh\n([\s\S]*?)```/);
  if (!m) throw new Error(`README has no sh block after "${heading}"`);
  return m[1]!;
}
