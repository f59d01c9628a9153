import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { constants } from 'node:os';
import { BerthError } from '../common/errors.js';
import { signalGroup } from '../common/process-tree.js';
import { randomId } from '../common/ids.js';
import { assertValidExecOptions, EXEC_MARKER_ENV, type ExecOptions } from '../exec/exec-options.js';
import type { ExecExit, ExecStream } from '../exec/exec-stream.js';

export interface LocalExecContext {
  /** The sandbox's directory: the default working directory and `HOME`. */
  dir: string;
  /** The session spec's env, under the call's own. */
  env: Record<string, string>;
}

/**
 * Runs a command as a host process in its own process group (so a timeout or a stop kills
 * its children too), cwd the sandbox's directory. The environment is built, not inherited:
 * PATH and LANG from the daemon, HOME and BERTH_SANDBOX the sandbox's directory, then the
 * spec's and the call's variables. There is no user switching: `user` is refused.
 */
export interface LocalExec extends ExecStream {
  /** The process (and process group) id; undefined when it could not start. */
  pid: number | undefined;
  /** The `BERTH_EXEC_ID` in its environment. */
  marker: string;
}

export function startLocalExec(ctx: LocalExecContext, input: ExecOptions): LocalExec {
  const options = assertValidExecOptions(input);
  if (options.user !== undefined) {
    throw new BerthError('InvalidArgument', 'user: the local backend runs commands as the daemon\'s user; leave user unset or use an engine session', {
      details: { problems: [{ path: 'user', message: 'is not supported by the local backend' }] },
    });
  }
  const marker = randomId(8);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    HOME: ctx.dir,
    BERTH_SANDBOX: ctx.dir,
    ...ctx.env,
    ...options.env,
    [EXEC_MARKER_ENV]: marker,
  };
  const started = performance.now();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const child = spawn(options.cmd[0]!, options.cmd.slice(1), {
    cwd: options.workdir ?? ctx.dir,
    env,
    detached: true,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(stdout);
  child.stderr?.pipe(stderr);
  if (child.stdin && options.stdin !== undefined) {
    child.stdin.on('error', () => undefined);
    if (options.stdin instanceof Readable) options.stdin.pipe(child.stdin);
    else child.stdin.end(options.stdin);
  }
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        signalGroup(child.pid, 'SIGKILL');
      }, options.timeoutMs)
    : undefined;
  const exit = new Promise<ExecExit>((resolve) => {
    const done = (exitCode: number) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode, timedOut, durationMs: Math.round(performance.now() - started) });
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      stderr.end(`berth: cannot run ${options.cmd[0]}: ${err.code === 'ENOENT' ? 'not found (or the working directory does not exist)' : err.message}\n`);
      stdout.end();
      done(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('close', (code, signal) => {
      if (code === null && signal === null) return;
      done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  return {
    execId: `local-${marker}`,
    stdout,
    stderr,
    exit,
    kill: async () => {
      signalGroup(child.pid, 'SIGKILL');
      await exit;
    },
    pid: child.pid,
    marker,
  };
}
