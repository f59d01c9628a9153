import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { pollExitCode } from '../exec/exec-stream.js';
import { detachSequence, heldBack } from './detach-keys.js';
import { assertAttachOptions, assertShellOptions } from './shell-options.js';
import { DEFAULT_DETACH_KEYS, DEFAULT_SHELL_CMD, ShellStream, type AttachOptions, type ShellExit, type ShellOptions, type ShellTransport } from './shell-stream.js';

/**
 * Wraps an engine's hijacked TTY connection. Detach keys are handled here, the same on
 * both engines (Podman's attach ignores them): bytes that may start the sequence are held
 * back; the whole sequence closes the connection instead of reaching the process, and
 * `finish` then tells a detach (process still running) from an exit.
 */
function transportOver(conn: Duplex, seq: Buffer, resize: (c: number, r: number) => Promise<void>, finish: (detachTyped: boolean) => Promise<ShellExit>): ShellTransport {
  let held = Buffer.alloc(0);
  let detachTyped = false;
  const listeners: Array<(d: Buffer) => void> = [];
  conn.on('data', (d: Buffer) => listeners.forEach((l) => l(d)));
  const ended = new Promise<void>((resolve) => {
    conn.once('end', resolve);
    conn.once('close', resolve);
    conn.once('error', () => resolve());
  });
  return {
    write(data) {
      if (detachTyped) return;
      if (!seq.length) return void conn.write(data);
      const buf = Buffer.concat([held, data]);
      const at = buf.indexOf(seq);
      if (at >= 0) {
        if (at > 0) conn.write(buf.subarray(0, at));
        detachTyped = true;
        conn.destroy();
        return;
      }
      const keep = heldBack(buf, seq);
      if (buf.length > keep) conn.write(buf.subarray(0, buf.length - keep));
      held = Buffer.from(buf.subarray(buf.length - keep));
    },
    end() {
      conn.end();
    },
    resize,
    pause: () => conn.pause(),
    resume: () => conn.resume(),
    onData(l) {
      listeners.push(l);
    },
    exit: ended.then(() => finish(detachTyped)),
  };
}

/** A shell (an exec with a TTY and stdin) in a running container. */
export async function openEngineShell(engine: Engine, containerId: string, input: ShellOptions, log: Logger): Promise<ShellStream> {
  const o = assertShellOptions(input);
  const keys = o.detachKeys ?? DEFAULT_DETACH_KEYS;
  const env = Object.entries({ TERM: 'xterm', ...o.env }).map(([k, v]) => `${k}=${v}`);
  const execId = await engine.createExec(containerId, {
    cmd: o.cmd ?? DEFAULT_SHELL_CMD,
    env,
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user ? { user: o.user } : {}),
    stdin: true,
    tty: true,
  });
  const conn = await engine.startExec(execId, { stdin: true, tty: true });
  const resize = (cols: number, rows: number) => engine.resizeExec(execId, cols, rows);
  // The stream exists (and buffers) before the first await, so no early output is lost.
  const shell = new ShellStream(
    transportOver(conn, detachSequence(keys), resize, async (detachTyped) => {
      const st = await engine.inspectExec(execId).catch(() => undefined);
      if (st?.running && detachTyped) return { exitCode: null, detached: true };
      return { exitCode: await pollExitCode(engine, execId), detached: false };
    }),
  );
  await resize(o.cols ?? 80, o.rows ?? 24).catch((err: unknown) => log.debug({ err }, 'first resize of a shell failed'));
  return shell;
}

/** Attaches to a TTY container's main process. */
export async function attachEngine(engine: Engine, containerId: string, input: AttachOptions): Promise<ShellStream> {
  const o = assertAttachOptions(input);
  const keys = o.detachKeys ?? DEFAULT_DETACH_KEYS;
  const conn = await engine.attachContainer(containerId);
  const resize = (cols: number, rows: number) => engine.resizeContainer(containerId, cols, rows);
  const shell = new ShellStream(
    transportOver(conn, detachSequence(keys), resize, async (detachTyped) => {
      for (let i = 0; ; i++) {
        const st = (await engine.inspectContainer(containerId).catch(() => undefined))?.State;
        if (!st) return { exitCode: -1, detached: false };
        if (!st.Running) return { exitCode: st.ExitCode ?? -1, detached: false };
        if (detachTyped || i >= 50) return { exitCode: null, detached: true };
        await sleep(100);
      }
    }),
  );
  await resize(o.cols ?? 80, o.rows ?? 24).catch(() => undefined);
  return shell;
}
