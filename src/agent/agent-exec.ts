import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { assertValidExecOptions, type ExecOptions } from '../exec/exec-options.js';
import type { ExecExit, ExecStream } from '../exec/exec-stream.js';
import type { AgentConnection } from './agent-connection.js';
import type { AgentExit, SpawnFailure } from './protocol.js';

/** How long to wait for the exit after killing a timed-out command, in ms. */
const KILL_GRACE_MS = 2000;
const SIGKILL = 9;

/** The exit code the shell convention gives an agent exit: 127 not found, 126 cannot run, 128+N killed by N. */
export function exitCodeOf(x: AgentExit): number {
  if (x.kind === 'code') return x.code;
  if (x.kind === 'signal') return 128 + x.signal;
  return x.reason === 'not-found' ? 127 : 126;
}

export interface AgentExecExit extends ExecExit {
  /** Set when the command never started. */
  spawnFailure?: { reason: SpawnFailure; message: string };
}

/**
 * Runs a command through the session agent with exactly engine exec's options and
 * result: its own process group, a timeout kills the whole group and keeps the output
 * so far, a spawn failure is 127/126 with the reason on stderr.
 */
export function startAgentExec(conn: AgentConnection, input: ExecOptions, log: Logger): ExecStream & { exit: Promise<AgentExecExit> } {
  const options = assertValidExecOptions(input);
  const hasStdin = options.stdin !== undefined;
  const started = performance.now();
  const p = conn.start({
    argv: options.cmd,
    ...(options.env ? { env: options.env } : {}),
    ...(options.user ? { user: options.user } : {}),
    ...(options.workdir ? { workdir: options.workdir } : {}),
    stdin: hasStdin,
  });
  if (typeof options.stdin === 'string' || Buffer.isBuffer(options.stdin)) {
    if (options.stdin.length) p.write(options.stdin);
    p.closeStdin();
  } else if (options.stdin) {
    options.stdin.on('data', (d: Buffer) => p.write(d));
    options.stdin.once('end', () => p.closeStdin());
  }
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let onKilled: () => void = () => undefined;
  const killed = new Promise<void>((resolve) => (onKilled = resolve));
  if (options.timeoutMs) {
    timer = setTimeout(() => {
      timedOut = true;
      log.info({ agentProcess: p.id, timeoutMs: options.timeoutMs }, 'exec timed out; killing its process group');
      p.signal(SIGKILL);
      onKilled();
    }, options.timeoutMs);
  }
  const exit = (async (): Promise<AgentExecExit> => {
    const graceOver = killed.then(() => sleep(KILL_GRACE_MS)).then(() => undefined);
    const waited = await Promise.race([p.exit, graceOver])
      .catch((err: Error) => {
        throw new BerthError('Conflict', `the session agent went away while the command ran (${err.message}); run it again (berth uses engine exec while the agent is gone)`, { cause: err });
      })
      .finally(() => clearTimeout(timer));
    const x: AgentExit = waited ?? { kind: 'signal', signal: SIGKILL };
    if (!waited) p.detach();
    const durationMs = Math.round(performance.now() - started);
    if (x.kind === 'spawn-failed') {
      return { exitCode: exitCodeOf(x), timedOut, durationMs, spawnFailure: { reason: x.reason, message: x.message } };
    }
    return { exitCode: exitCodeOf(x), timedOut, durationMs };
  })();
  return {
    execId: `agent:${p.id}`,
    stdout: p.stdout,
    stderr: p.stderr,
    exit,
    kill: async () => p.signal(SIGKILL),
  };
}
