import type { Logger } from '../common/logger.js';
import { detachSequence, heldBack } from '../interactive/detach-keys.js';
import { assertShellOptions } from '../interactive/shell-options.js';
import { DEFAULT_DETACH_KEYS, DEFAULT_SHELL_CMD, ShellStream, type ShellExit, type ShellOptions } from '../interactive/shell-stream.js';
import type { AgentConnection, AgentProcess } from './agent-connection.js';
import { exitCodeOf } from './agent-exec.js';

/**
 * A shell in a PTY the session agent holds: it outlives this connection (and the daemon).
 * Hanging up or typing the detach keys leaves it running (`detached: true`); `resume`
 * reattaches, replaying its scrollback (the last 1 MiB) first.
 */
export function openAgentShell(conn: AgentConnection, input: ShellOptions, log: Logger): ShellStream {
  const o = assertShellOptions(input);
  const rows = o.rows ?? 24;
  const cols = o.cols ?? 80;
  let p: AgentProcess;
  if (o.resume) {
    p = conn.attach(Number(o.resume.replace(/^p/, '')));
    p.resize(rows, cols);
  } else {
    p = conn.start({
      argv: o.cmd ?? DEFAULT_SHELL_CMD,
      env: { TERM: 'xterm', ...o.env },
      ...(o.user ? { user: o.user } : {}),
      ...(o.workdir ? { workdir: o.workdir } : {}),
      pty: { rows, cols },
      keep: true,
    });
  }
  const seq = detachSequence(o.detachKeys ?? DEFAULT_DETACH_KEYS);
  let held = Buffer.alloc(0);
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    p.detach();
  };
  const exit = p.exit.then(
    (x): ShellExit => {
      conn.forget(p.id);
      return { exitCode: exitCodeOf(x), detached: false };
    },
    (err: Error): ShellExit => {
      if (!left) log.info({ shell: p.id, reason: err.message }, 'left a kept shell');
      return { exitCode: null, detached: true };
    },
  );
  return new ShellStream({
    write(data) {
      if (left) return;
      if (!seq.length) return void p.write(data);
      const buf = Buffer.concat([held, data]);
      const at = buf.indexOf(seq);
      if (at >= 0) {
        if (at > 0) p.write(buf.subarray(0, at));
        leave();
        return;
      }
      const keep = heldBack(buf, seq);
      if (buf.length > keep) p.write(buf.subarray(0, buf.length - keep));
      held = Buffer.from(buf.subarray(buf.length - keep));
    },
    end: leave,
    resize: async (c, r) => p.resize(r, c),
    onData: (l) => p.stdout.on('data', l),
    pause: () => p.stdout.pause(),
    resume: () => p.stdout.resume(),
    exit,
  });
}
