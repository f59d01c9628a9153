import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { LocalBackend } from '../local/local-backend.js';
import { attachEngine, openEngineShell } from '../interactive/engine-shell.js';
import type { AttachOptions, ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import type { SessionRepository } from '../store/session-repository.js';
import type { Sandbox, SandboxFiles } from './sandbox.js';
import { TERMINAL_STATES, type Session } from './session.js';
import { assertLive, assertRunning, engineFor, findSession } from './session-lookup.js';
import type { EngineSide } from './engine-side.js';
import type { SessionExecOptions, SessionExecStream, SessionExecStreamOptions, SessionLogs, SessionLogsOptions } from './sessions-api.js';
import { revealEnv } from './secret-env.js';
import type { AgentHub } from '../agent/agent-hub.js';
import type { AgentConnection } from '../agent/agent-connection.js';
import { startAgentExec } from '../agent/agent-exec.js';
import { openAgentShell } from '../agent/agent-shell.js';
import { collectExec } from '../exec/run-exec.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../exec/exec-options.js';
import type { ExecStream } from '../exec/exec-stream.js';

/** Default exec timeout for sessions: 10 minutes. */
export const DEFAULT_EXEC_TIMEOUT_MS = 600_000;

export interface SessionIoDeps {
  engine?: EngineSide;
  local: LocalBackend;
  repo: SessionRepository;
  log: Logger;
  /** Default exec timeout in ms; default 600000 (10 min). */
  execTimeoutMs?: number;
  /** unix ms. */
  now: () => number;
  /** Session agents; a session whose agent is connected runs its execs there. */
  agents?: AgentHub;
}

/**
 * What runs inside a live session: execs (recorded in its history), shells, attach and
 * logs, with the session's exec defaults applied; and its sandbox for the files API.
 */
export class SessionIo {
  constructor(private readonly d: SessionIoDeps) {}

  async exec(idOrName: string, options: SessionExecOptions): Promise<ExecResult> {
    const s = findSession(this.d.repo, idOrName);
    assertRunning(s);
    const o = this.withDefaults(s, options);
    const agent = this.agentOf(s);
    const r = agent
      ? await collectExec(startAgentExec(agent, o, this.d.log.child({ sessionId: s.id })), o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES)
      : await (await this.sandboxOf(s)).exec(o);
    this.d.repo.recordExec(s.id, { cmd: options.cmd, exitCode: r.exitCode, durationMs: r.durationMs, bytesOut: r.stdoutBytes + r.stderrBytes, timedOut: r.timedOut }, this.d.now());
    return r;
  }

  async execStream(idOrName: string, input: SessionExecStreamOptions): Promise<SessionExecStream> {
    const { detach: _detach, ...options } = input;
    const s = findSession(this.d.repo, idOrName);
    assertRunning(s);
    const o = this.withDefaults(s, options);
    // Engine exec, not the agent: the agent's protocol has no flow control yet, so a reader
    // that stops reading would make the daemon buffer the command's output without bound.
    const stream: ExecStream = await (await this.sandboxOf(s)).execStream(o);
    let bytesOut = 0;
    stream.stdout.on('data', (d: Buffer) => (bytesOut += d.length));
    stream.stderr.on('data', (d: Buffer) => (bytesOut += d.length));
    const exit = stream.exit.then((e) => {
      this.d.repo.recordExec(s.id, { cmd: options.cmd, exitCode: e.exitCode, durationMs: e.durationMs, bytesOut, timedOut: e.timedOut }, this.d.now());
      return e;
    });
    return { stdout: stream.stdout, stderr: stream.stderr, exit, kill: () => stream.kill() };
  }

  async openShell(idOrName: string, options: ShellOptions = {}): Promise<ShellStream> {
    const s = findSession(this.d.repo, idOrName);
    assertRunning(s);
    const o: ShellOptions = {
      ...options,
      env: { ...this.env(s).defaults, ...options.env },
      workdir: options.workdir ?? s.execDefaults.workdir ?? s.baseDir,
    };
    this.d.repo.touch(s.id, this.d.now());
    if (s.backend === 'local') return this.d.local.sandbox(s.containerId ?? s.baseDir, this.env(s).spec ?? {}).openShell(o);
    const agent = this.agentOf(s);
    if (agent) return openAgentShell(agent, o, this.d.log.child({ sessionId: s.id }));
    if (o.resume) throw new BerthError('Conflict', `session ${s.name} has no session agent now (${this.d.agents?.status(s.id).reason ?? 'agents are off'}); kept shells need it`);
    return openEngineShell(engineFor(s, this.d.engine).engine, s.containerId ?? s.containerName, o, this.d.log.child({ sessionId: s.id }));
  }

  async attach(idOrName: string, options: AttachOptions = {}): Promise<ShellStream> {
    const s = findSession(this.d.repo, idOrName);
    assertRunning(s);
    if (s.backend === 'local') throw new BerthError('Conflict', `session ${s.name} is on the local backend: it has no main process to attach to; open a shell`);
    if (!s.spec.tty) {
      throw new BerthError('Conflict', `session ${s.name} was created without a TTY; attach needs spec: { tty: true, openStdin: true } (or open a shell)`, { details: { tty: false } });
    }
    this.d.repo.touch(s.id, this.d.now());
    return attachEngine(engineFor(s, this.d.engine).engine, s.containerId ?? s.containerName, options);
  }

  async logs(idOrName: string, options: SessionLogsOptions = {}): Promise<SessionLogs> {
    const s = findSession(this.d.repo, idOrName);
    if (TERMINAL_STATES.has(s.state)) throw new BerthError('Conflict', `session ${s.name} is ${s.state}; its container and logs are gone`);
    const c = await this.sandboxOf(s);
    return c.logs({ ...(options.follow ? { follow: true } : {}), ...(options.tail !== undefined ? { tail: options.tail } : {}) });
  }

  /** The session's spec and exec-default environment with secret values put back (read only when it has secrets). */
  env(s: Session): { spec: Record<string, string> | undefined; defaults: Record<string, string> | undefined } {
    const shown = { spec: s.spec.env, defaults: s.execDefaults.env };
    return s.secretEnv.length ? revealEnv(shown, this.d.repo.secrets(s.id)) : shown;
  }

  /** The connected agent of a running engine session, if any. */
  agentOf(s: Session): AgentConnection | undefined {
    return s.backend === 'engine' ? this.d.agents?.connection(s.id) : undefined;
  }

  /** Session defaults under the call's own options: env merged, workdir, the default timeout. */
  private withDefaults(s: Session, o: SessionExecOptions): SessionExecOptions {
    const env = { ...this.env(s).defaults, ...o.env };
    const workdir = o.workdir ?? s.execDefaults.workdir;
    return {
      ...o,
      ...(Object.keys(env).length ? { env } : {}),
      ...(workdir ? { workdir } : {}),
      timeoutMs: o.timeoutMs ?? this.d.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
    };
  }

  /** The session's sandbox, for the files API: its id and file operations. `Conflict` when it has none any more. */
  sandboxFor(idOrName: string): { session: Session; id: string; files: SandboxFiles } {
    const s = findSession(this.d.repo, idOrName);
    assertLive(s, 'use the files of');
    if (s.backend === 'local') return { session: s, id: s.containerId ?? s.baseDir, files: this.d.local.files };
    return { session: s, id: s.containerId ?? s.containerName, files: engineFor(s, this.d.engine).files };
  }

  /** The sandbox of a session: its container, or its host directory on the local backend. */
  async sandboxOf(s: Session): Promise<Sandbox> {
    if (s.backend === 'local') return this.d.local.sandbox(s.containerId ?? s.baseDir, this.env(s).spec ?? {});
    return engineFor(s, this.d.engine).containers.handle({ id: s.containerId ?? s.containerName, name: s.containerName, tty: s.spec.tty ?? false });
  }
}
