import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { AgentConnection } from './agent-connection.js';
import { FRAME, FrameParser, printable } from './protocol.js';

/** Where the agent binary and its socket directory appear in a session's container. */
export const AGENT_BINARY_TARGET = '/.berth/agent';
export const AGENT_RUN_TARGET = '/.berth/run';
const SOCKET_NAME = 'agent.sock';
const VERSION = 'berth-agent 1';
/** How long a new connection has to say hello, in ms. */
const HELLO_TIMEOUT_MS = 2000;
/** How long `launch` waits for the agent to connect, in ms. */
const READY_TIMEOUT_MS = 3000;

/** Which way execs reach a session: through its agent, or one engine exec per command. */
export interface ExecPath {
  path: 'agent' | 'engine';
  /** Why engine exec is used, or what the agent said when it connected. */
  reason: string;
  /** The agent's pid in the container. */
  agentPid?: number;
  /** ms from asking the engine to start the agent to its hello (at session creation). */
  readyMs?: number;
}

export interface AgentMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface AgentHubOptions {
  /** Host directory of the per-session socket directories (made 0700). */
  dir: string;
  /** The static agent binary on the host; absent or missing: no agents, engine exec only. */
  binary?: string;
  log: Logger;
}

interface Slot {
  server?: Server;
  conn?: AgentConnection;
  token: Buffer;
  status: ExecPath;
  waiters: Array<() => void>;
}

/**
 * The agents of engine sessions: one directory per session (its socket, bind-mounted at
 * `/.berth/run`), the daemon listening there and the agent connecting in with a token
 * it was given at launch. A missing, dead or impostor agent leaves the session on
 * engine exec, and says so in `status`.
 */
export class AgentHub {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly o: AgentHubOptions) {}

  /** True when the agent binary exists: sessions get an agent. */
  get enabled(): boolean {
    return this.o.binary !== undefined && existsSync(this.o.binary);
  }

  /** Prepares a new session's directory, token and listener; returns the mounts its container needs. */
  async prepare(sessionId: string): Promise<AgentMount[]> {
    if (!this.enabled || !this.o.binary) return [];
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.o.dir, 0o700);
    const token = randomBytes(32);
    writeFileSync(this.tokenFile(sessionId), token.toString('hex'), { mode: 0o600 });
    await this.listen(sessionId, token);
    return [
      { source: this.o.binary, target: AGENT_BINARY_TARGET, readOnly: true },
      { source: this.sessionDir(sessionId), target: AGENT_RUN_TARGET, readOnly: false },
    ];
  }

  /**
   * Starts the agent in the running container (an engine exec left running, as the
   * container's own user with its capabilities) and waits for its hello; never throws:
   * a session whose agent does not come stays on engine exec.
   */
  async launch(engine: Engine, sessionId: string, containerId: string): Promise<ExecPath> {
    const slot = this.slots.get(sessionId);
    if (!slot) return this.status(sessionId);
    const t0 = performance.now();
    try {
      const execId = await engine.createExec(containerId, {
        cmd: [AGENT_BINARY_TARGET, '--connect', `${AGENT_RUN_TARGET}/${SOCKET_NAME}`],
        env: [`BERTH_AGENT_TOKEN=${slot.token.toString('hex')}`],
        stdin: false,
        tty: false,
      });
      await engine.startExecDetached(execId);
      if (await this.waitReady(sessionId, READY_TIMEOUT_MS)) slot.status = { ...slot.status, readyMs: Math.round((performance.now() - t0) * 10) / 10 };
    } catch (err) {
      slot.status = { path: 'engine', reason: `the agent could not be started: ${(err as Error).message}` };
      this.o.log.warn({ err, sessionId }, 'session agent did not start; engine exec is used');
    }
    if (!slot.conn) this.o.log.warn({ sessionId, reason: slot.status.reason }, 'session agent not connected; engine exec is used');
    return slot.status;
  }

  /** After a daemon restart: listens again for a running session's agent (it reconnects by itself). */
  async recover(sessionId: string): Promise<void> {
    if (this.slots.has(sessionId) || !existsSync(this.tokenFile(sessionId))) return;
    const hex = readFileSync(this.tokenFile(sessionId), 'utf8').trim();
    await this.listen(sessionId, Buffer.from(hex, 'hex'));
    this.slots.get(sessionId)!.status = { path: 'engine', reason: 'waiting for the agent to reconnect after a daemon restart' };
  }

  /** Resolves when the session's agent is connected, or after `timeoutMs`. */
  async waitReady(sessionId: string, timeoutMs: number): Promise<boolean> {
    const slot = this.slots.get(sessionId);
    if (!slot) return false;
    if (slot.conn && !slot.conn.closed) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      slot.waiters.push(done);
    });
    return slot.conn !== undefined && !slot.conn.closed;
  }

  /** True when the session was made with an agent (berth listens for it). */
  hasSlot(sessionId: string): boolean {
    return this.slots.has(sessionId);
  }

  /** The live connection to the session's agent, if any. */
  connection(sessionId: string): AgentConnection | undefined {
    const c = this.slots.get(sessionId)?.conn;
    return c && !c.closed ? c : undefined;
  }

  status(sessionId: string): ExecPath {
    const slot = this.slots.get(sessionId);
    if (!slot) return { path: 'engine', reason: this.enabled ? 'the session has no agent (created before agents, or on another daemon)' : 'no agent binary on this host' };
    return slot.status;
  }

  /** The session ended: stops listening and removes its directory and token. */
  release(sessionId: string): void {
    const slot = this.slots.get(sessionId);
    slot?.conn?.close('session ended');
    slot?.server?.close();
    this.slots.delete(sessionId);
    rmSync(this.sessionDir(sessionId), { recursive: true, force: true });
    rmSync(this.tokenFile(sessionId), { force: true });
  }

  /** Closes every listener and connection (the agents keep running and reconnect later). */
  close(): void {
    for (const slot of this.slots.values()) {
      slot.conn?.close('daemon closing');
      slot.server?.close();
    }
    this.slots.clear();
  }

  private sessionDir(sessionId: string): string {
    return join(this.o.dir, sessionId);
  }

  private tokenFile(sessionId: string): string {
    return join(this.o.dir, `${sessionId}.token`);
  }

  private async listen(sessionId: string, token: Buffer): Promise<void> {
    const dir = this.sessionDir(sessionId);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    chmodSync(dir, 0o711);
    const path = join(dir, SOCKET_NAME);
    if (existsSync(path)) unlinkSync(path);
    const slot: Slot = { token, status: { path: 'engine', reason: 'the agent has not connected yet' }, waiters: [] };
    this.slots.set(sessionId, slot);
    const server = createServer((sock) => this.accept(sessionId, slot, sock));
    slot.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    server.on('error', (err) => this.o.log.warn({ err, sessionId }, 'agent listener failed'));
    chmodSync(path, 0o666);
  }

  /** First frame must be HELLO with the version and this session's token; anything else is an impostor. */
  private accept(sessionId: string, slot: Slot, sock: Socket): void {
    const parser = new FrameParser();
    const timer = setTimeout(() => refuse('no hello in time'), HELLO_TIMEOUT_MS);
    const refuse = (why: string) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.destroy();
      if (!slot.conn || slot.conn.closed) slot.status = { path: 'engine', reason: `a process that is not berth's agent connected (${why})` };
      this.o.log.warn({ sessionId, why }, 'refused a connection on the agent socket');
    };
    const onData = (d: Buffer) => {
      let frames;
      try {
        frames = parser.push(d);
      } catch (err) {
        refuse((err as Error).message);
        return;
      }
      const first = frames[0];
      if (!first) return;
      clearTimeout(timer);
      sock.off('data', onData);
      const nul = first.payload.indexOf(0);
      const version = printable(first.payload.subarray(0, nul < 0 ? 0 : nul));
      const given = Buffer.from(first.payload.subarray(nul + 1).toString('latin1'), 'hex');
      if (first.type !== FRAME.hello || nul < 0 || version !== VERSION || given.length !== slot.token.length || !timingSafeEqual(given, slot.token)) {
        refuse('bad hello');
        return;
      }
      slot.conn?.close('replaced by a new agent connection');
      const conn = new AgentConnection(sock, { pid: first.id, version });
      slot.conn = conn;
      slot.status = { path: 'agent', reason: `${version} connected`, agentPid: first.id };
      conn.once('close', (reason: string) => {
        if (slot.conn === conn) slot.status = { path: 'engine', reason: `the agent connection was lost (${reason})` };
        this.o.log.warn({ sessionId, reason }, 'session agent connection lost; engine exec is used');
      });
      const rest = frames.slice(1);
      if (rest.length || parser.buffered) this.o.log.debug({ sessionId }, 'agent sent frames right after hello');
      for (const w of slot.waiters.splice(0)) w();
    };
    sock.on('data', onData);
    sock.on('error', () => undefined);
  }
}
