import { BerthError, invalidArgument } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { SessionRepository } from '../store/session-repository.js';
import { findSession, assertRunning } from '../session/session-lookup.js';
import { assertValidExecOptions } from '../exec/exec-options.js';
import type { AgentConnection } from './agent-connection.js';
import { exitCodeOf } from './agent-exec.js';
import type { AgentHub } from './agent-hub.js';
import type { AgentProcessInfo } from './protocol.js';
import type { DetachedProcess, ProcessesApi, ProcessOutput, StartProcessOptions } from './processes-api.js';

const SIGNALS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CONT: 18, STOP: 19 };

/** A signal name (`TERM`, `SIGTERM`) or number 1..64 as a number; `InvalidArgument` otherwise. */
export function signalNumber(signal: string | number | undefined): number {
  if (signal === undefined) return SIGNALS.TERM!;
  const n = typeof signal === 'number' ? signal : /^\d+$/.test(signal) ? Number(signal) : SIGNALS[signal.toUpperCase().replace(/^SIG/, '')];
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 64) {
    throw invalidArgument([{ path: 'signal', message: `must be 1..64 or one of ${Object.keys(SIGNALS).join(', ')}` }], 'signal');
  }
  return n;
}

function parseId(id: string): number {
  const m = /^p?(\d{1,10})$/.exec(id);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) throw invalidArgument([{ path: 'id', message: 'must be a process handle like p123' }], 'process');
  return n;
}

export function describe(p: AgentProcessInfo): DetachedProcess {
  return { id: `p${p.id}`, pid: p.pid, cmd: p.cmd, running: p.running, ...(p.exit ? { exitCode: exitCodeOf(p.exit) } : {}), terminal: p.pty };
}

export interface SessionProcessesDeps {
  repo: SessionRepository;
  agents?: AgentHub;
  log: Logger;
}

/** `ProcessesApi` in-process: detached processes through each session's agent. */
export class SessionProcesses implements ProcessesApi {
  constructor(private readonly d: SessionProcessesDeps) {}

  /** The session's agent connection; `Conflict` saying why when there is none. */
  agentFor(session: string): { conn: AgentConnection; env: Record<string, string>; workdir?: string } {
    const s = findSession(this.d.repo, session);
    assertRunning(s);
    const conn = s.backend === 'engine' ? this.d.agents?.connection(s.id) : undefined;
    if (!conn) {
      const why = s.backend === 'local' ? 'it is on the local backend' : (this.d.agents?.status(s.id).reason ?? 'agents are off');
      throw new BerthError('Conflict', `session ${s.name} has no session agent (${why}); detached processes and kept shells need one: create a new session`);
    }
    return { conn, env: s.execDefaults.env ?? {}, ...(s.execDefaults.workdir ? { workdir: s.execDefaults.workdir } : {}) };
  }

  async start(session: string, o: StartProcessOptions): Promise<DetachedProcess> {
    assertValidExecOptions({ cmd: o.cmd, ...(o.env ? { env: o.env } : {}), ...(o.workdir ? { workdir: o.workdir } : {}), ...(o.user ? { user: o.user } : {}) });
    const a = this.agentFor(session);
    const workdir = o.workdir ?? a.workdir;
    const p = a.conn.start({ argv: o.cmd, env: { ...a.env, ...o.env }, ...(o.user ? { user: o.user } : {}), ...(workdir ? { workdir } : {}), stdin: o.stdin ?? false, keep: true });
    const pid = await p.started.catch((err: Error) => {
      throw new BerthError('Conflict', `the session agent could not start the process: ${err.message}`, { cause: err });
    });
    if (pid < 0) {
      const x = await p.exit;
      return { id: `p${p.id}`, pid: 0, cmd: o.cmd.join(' ').slice(0, 200), running: false, exitCode: exitCodeOf(x), terminal: false };
    }
    p.detach();
    this.d.log.info({ process: p.id, pid }, 'detached process started');
    return { id: `p${p.id}`, pid, cmd: o.cmd.join(' ').slice(0, 200), running: true, terminal: false };
  }

  async list(session: string): Promise<DetachedProcess[]> {
    return (await this.agentFor(session).conn.list()).filter((p) => p.kept).map(describe);
  }

  async find(session: string, id: string): Promise<DetachedProcess> {
    const n = parseId(id);
    const p = (await this.agentFor(session).conn.list()).find((x) => x.id === n && x.kept);
    if (!p) throw new BerthError('NotFound', `no process ${id} in session ${session}; list them with \`berth proc ls ${session}\``);
    return describe(p);
  }

  async wait(session: string, id: string, options: { timeoutMs?: number } = {}): Promise<DetachedProcess> {
    const out = await this.output(session, id);
    out.stdout.resume();
    out.stderr.resume();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (options.timeoutMs) timer = setTimeout(() => reject(new BerthError('Timeout', `process ${id} still runs after ${options.timeoutMs} ms`)), options.timeoutMs);
    });
    try {
      const done = await Promise.race([out.exit, timeout]);
      this.agentFor(session).conn.forget(parseId(id));
      return done;
    } finally {
      clearTimeout(timer);
      out.close();
    }
  }

  async signal(session: string, id: string, signal?: string | number): Promise<void> {
    const signo = signalNumber(signal);
    await this.find(session, id);
    this.agentFor(session).conn.signal(parseId(id), signo);
  }

  async input(session: string, id: string, data: string | Buffer, options: { eof?: boolean } = {}): Promise<void> {
    await this.find(session, id);
    this.agentFor(session).conn.input(parseId(id), typeof data === 'string' ? Buffer.from(data) : data, options.eof ?? false);
  }

  async output(session: string, id: string): Promise<ProcessOutput> {
    const info = await this.find(session, id);
    const p = this.agentFor(session).conn.attach(parseId(id));
    let closed = false;
    const exit = p.exit.then(
      (x): DetachedProcess => ({ ...info, running: false, exitCode: exitCodeOf(x) }),
      (err: Error) => {
        throw new BerthError('Conflict', closed ? 'stopped following the process' : `lost the process's output: ${err.message}`, { cause: err });
      },
    );
    exit.catch(() => undefined);
    return {
      stdout: p.stdout,
      stderr: p.stderr,
      exit,
      close: () => {
        closed = true;
        p.detach();
      },
    };
  }
}
