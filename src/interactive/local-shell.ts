import { BerthError } from '../common/errors.js';
import { EXEC_MARKER_ENV } from '../exec/exec-options.js';
import { assertShellOptions } from './shell-options.js';
import { DEFAULT_SHELL_CMD, ShellStream, type ShellExit, type ShellOptions } from './shell-stream.js';

/**
 * A shell on the local backend: a host process in a pseudo-terminal (node-pty), cwd the
 * sandbox's directory, the same built environment as local execs. There is no engine to
 * keep a detached process, so hanging up ends the shell (SIGHUP); detach keys are plain input.
 */
export async function openLocalShell(dir: string, baseEnv: Record<string, string>, input: ShellOptions): Promise<{ stream: ShellStream; pid: number }> {
  const o = assertShellOptions(input);
  if (o.user !== undefined) {
    throw new BerthError('InvalidArgument', "user: the local backend runs shells as the daemon's user; leave user unset", {
      details: { problems: [{ path: 'user', message: 'is not supported by the local backend' }] },
    });
  }
  const pty = await import('node-pty');
  const [file, ...args] = o.cmd ?? DEFAULT_SHELL_CMD;
  const p = pty.spawn(file!, args, {
    name: 'xterm',
    // Bytes, not strings: output is passed on exactly as the terminal wrote it.
    encoding: null,
    cols: o.cols ?? 80,
    rows: o.rows ?? 24,
    cwd: o.workdir ?? dir,
    env: {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: dir,
      BERTH_SANDBOX: dir,
      TERM: 'xterm',
      ...baseEnv,
      ...o.env,
      ...(baseEnv[EXEC_MARKER_ENV] ? { [EXEC_MARKER_ENV]: baseEnv[EXEC_MARKER_ENV] } : {}),
    },
  });
  const exit = new Promise<ShellExit>((resolve) => p.onExit(({ exitCode, signal }) => resolve({ exitCode: signal ? 128 + signal : exitCode, detached: false })));
  const stream = new ShellStream({
    write: (d) => p.write(d),
    end: () => p.kill('SIGHUP'),
    resize: async (cols, rows) => p.resize(cols, rows),
    pause: () => p.pause(),
    resume: () => p.resume(),
    // With encoding null, node-pty hands out Buffers although its typings say string.
    onData: (l) => void p.onData((d: string | Buffer) => l(typeof d === 'string' ? Buffer.from(d) : d)),
    exit,
  });
  return { stream, pid: p.pid };
}
