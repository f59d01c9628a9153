import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { CappedCollector } from '../exec/capped-collector.js';
import { startExec } from '../exec/exec-stream.js';

/** Bytes of a helper command's stderr kept for its error message: 16 KiB. */
const STDERR_KEPT = 16 * 1024;

export interface PipedCommandOptions {
  /** argv; never a shell string. */
  cmd: string[];
  /** Fed to the command's stdin, which is closed at its end. */
  stdin?: Readable;
  /** Kill it after this many ms; default no limit. */
  timeoutMs?: number;
}

/** A command running in a sandbox: read `stdout` to its end, then await `done`. */
export interface PipedCommand {
  stdout: Readable;
  /** Its exit code and the start of its stderr, once it has ended. */
  done: Promise<{ exitCode: number; stderr: string }>;
}

/**
 * Runs a helper command inside a sandbox, as the session's own commands run (same user,
 * same mounts): how the files API reaches what the engine's archive endpoints cannot
 * see (a tmpfs). An engine exec here; the session agent can implement the same.
 */
export interface SandboxExec {
  run(id: string, options: PipedCommandOptions): Promise<PipedCommand>;
}

/** SandboxExec through the engine's exec API. */
export function engineSandboxExec(engine: Engine, log: Logger): SandboxExec {
  return {
    async run(id, o) {
      // A tar-stream pack is a streamx stream, not a node Readable.
      const stdin = o.stdin === undefined ? undefined : o.stdin instanceof Readable ? o.stdin : Readable.from(o.stdin as AsyncIterable<Buffer>);
      const s = await startExec(engine, id, { cmd: o.cmd, ...(stdin ? { stdin } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }, log);
      const err = new CappedCollector(STDERR_KEPT);
      s.stderr.pipe(err);
      const done = (async () => {
        const exit = await s.exit;
        await finished(err).catch(() => undefined);
        return { exitCode: exit.exitCode, stderr: err.buffer().toString('utf8').trim() };
      })();
      return { stdout: s.stdout, done };
    },
  };
}
