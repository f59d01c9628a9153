import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import { randomInt } from 'node:crypto';
import {
  AgentProtocolError,
  decodeExit,
  decodeList,
  encodeFrame,
  encodeStart,
  FRAME,
  FrameParser,
  MAX_PAYLOAD,
  printable,
  type AgentExit,
  type AgentProcessInfo,
  type StartRequest,
} from './protocol.js';

/** How long a ping or a list waits for the agent, in ms. */
const PING_TIMEOUT_MS = 2000;

/** One process in the agent, as the daemon sees it over one connection. */
export interface AgentProcess {
  /** berth's id of the process in the agent (not the pid). */
  id: number;
  stdout: PassThrough;
  stderr: PassThrough;
  /** The pid in the container once started; rejects like `exit` when it could not start. */
  started: Promise<number>;
  /** How it ended; rejects when the connection is lost first. */
  exit: Promise<AgentExit>;
  write(data: Buffer | string): void;
  closeStdin(): void;
  /** Signals the process's whole group (number, e.g. 9). */
  signal(signo: number): void;
  resize(rows: number, cols: number): void;
  /** Stops receiving its output here; it keeps running (kept processes buffer it). */
  detach(): void;
}

interface Entry {
  proc: AgentProcess;
  resolveStarted: (pid: number) => void;
  resolveExit: (e: AgentExit) => void;
  reject: (err: Error) => void;
}

/**
 * The daemon's side of one connection to an agent: multiplexes processes on it. Every
 * byte from the agent is untrusted (bounded frames, checked payloads); a protocol error
 * drops the connection. Emits `close` once, with the reason.
 */
export class AgentConnection extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly procs = new Map<number, Entry>();
  private readonly pings = new Map<number, () => void>();
  private listWaiters: Array<(l: AgentProcessInfo[]) => void> = [];
  private nextPing = 1;
  closed = false;
  closeReason = '';

  /** `hello` is the agent's pid and version as it announced them. */
  constructor(private readonly sock: Duplex, readonly hello: { pid: number; version: string }) {
    super();
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (err) => this.shut(`socket error: ${err.message}`));
    sock.on('end', () => this.shut('the agent closed the connection'));
    sock.on('close', () => this.shut('the agent closed the connection'));
  }

  /** Feeds bytes already read past the hello frame. */
  feed(d: Buffer): void {
    this.onData(d);
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    try {
      for (const f of this.parser.push(d)) this.onFrame(f.type, f.id, f.payload);
    } catch (err) {
      this.shut(err instanceof AgentProtocolError ? `protocol error: ${err.message}` : String(err));
    }
  }

  private onFrame(type: number, id: number, p: Buffer): void {
    const e = this.procs.get(id);
    switch (type) {
      case FRAME.pong:
        this.pings.get(id)?.();
        return;
      case FRAME.started:
        if (e && p.length >= 4) e.resolveStarted(p.readUInt32BE(0));
        return;
      case FRAME.stdout:
        e?.proc.stdout.write(p);
        return;
      case FRAME.stderr:
        e?.proc.stderr.write(p);
        return;
      case FRAME.exit: {
        if (!e) return;
        const x = decodeExit(p) ?? { kind: 'spawn-failed', reason: 'other', message: 'malformed exit frame from the agent' };
        this.procs.delete(id);
        e.proc.stdout.end();
        if (x.kind === 'spawn-failed') e.proc.stderr.write(`berth: cannot start the command: ${x.reason} (${x.message})\n`);
        e.proc.stderr.end();
        if (x.kind === 'spawn-failed') e.resolveStarted(-1);
        e.resolveExit(x);
        return;
      }
      case FRAME.listReply:
        this.listWaiters.shift()?.(decodeList(p));
        return;
      case FRAME.error:
        if (e) {
          this.procs.delete(id);
          e.proc.stdout.end();
          e.proc.stderr.end();
          e.reject(new Error(`agent refused: ${printable(p.subarray(0, 200))}`));
        }
        return;
      default:
        return;
    }
  }

  private send(type: number, id: number, payload?: Buffer): void {
    if (!this.closed) this.sock.write(encodeFrame(type, id, payload));
  }

  /** Round trip in ms; rejects after 2 s or when the connection is gone. */
  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<number> {
    if (this.closed) throw new Error(`agent connection closed: ${this.closeReason}`);
    const id = this.nextPing++;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new Error(`agent did not answer a ping within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(id, () => {
        clearTimeout(timer);
        this.pings.delete(id);
        resolve(performance.now() - t0);
      });
      this.send(FRAME.ping, id);
    });
  }

  /** Starts a process; `id` defaults to a fresh random one. */
  start(req: StartRequest, id = this.freshId()): AgentProcess {
    const proc = this.track(id);
    this.send(FRAME.start, id, encodeStart(req));
    return proc;
  }

  /** Reattaches to a kept process: what it wrote meanwhile (bounded) first, then live output. */
  attach(id: number): AgentProcess {
    const old = this.procs.get(id);
    if (old) {
      this.procs.delete(id);
      old.proc.stdout.end();
      old.proc.stderr.end();
      old.reject(new Error('reattached elsewhere'));
    }
    const proc = this.track(id);
    this.send(FRAME.attach, id);
    return proc;
  }

  /** The agent's processes (running, and kept ones that ended and were not forgotten). */
  async list(timeoutMs = PING_TIMEOUT_MS): Promise<AgentProcessInfo[]> {
    if (this.closed) throw new Error(`agent connection closed: ${this.closeReason}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('agent did not answer a list')), timeoutMs);
      this.listWaiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
      this.send(FRAME.list, 0);
    });
  }

  /** Drops a kept process that has ended. */
  forget(id: number): void {
    this.send(FRAME.forget, id);
  }

  /** Sends stdin to a process by id (attached or not); `eof` closes its stdin after. */
  input(id: number, data: Buffer, eof = false): void {
    for (let o = 0; o < data.length; o += MAX_PAYLOAD) this.send(FRAME.stdin, id, data.subarray(o, o + MAX_PAYLOAD));
    if (eof) this.send(FRAME.stdin, id);
  }

  signal(id: number, signo: number): void {
    this.send(FRAME.signal, id, Buffer.from([signo]));
  }

  close(reason = 'closed by berth'): void {
    this.shut(reason);
    this.sock.destroy();
  }

  private freshId(): number {
    for (;;) {
      const id = randomInt(1, 0x7fffffff);
      if (!this.procs.has(id)) return id;
    }
  }

  private track(id: number): AgentProcess {
    let resolveStarted!: (pid: number) => void;
    let resolveExit!: (e: AgentExit) => void;
    let rejectStarted!: (err: Error) => void;
    let rejectExit!: (err: Error) => void;
    const started = new Promise<number>((res, rej) => ((resolveStarted = res), (rejectStarted = rej)));
    const exit = new Promise<AgentExit>((res, rej) => ((resolveExit = res), (rejectExit = rej)));
    started.catch(() => undefined);
    exit.catch(() => undefined);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const proc: AgentProcess = {
      id,
      stdout,
      stderr,
      started,
      exit,
      write: (data) => {
        const b = typeof data === 'string' ? Buffer.from(data) : data;
        for (let o = 0; o < b.length; o += MAX_PAYLOAD) this.send(FRAME.stdin, id, b.subarray(o, o + MAX_PAYLOAD));
      },
      closeStdin: () => this.send(FRAME.stdin, id),
      signal: (signo) => this.signal(id, signo),
      resize: (rows, cols) => {
        const b = Buffer.alloc(4);
        b.writeUInt16BE(rows, 0);
        b.writeUInt16BE(cols, 2);
        this.send(FRAME.resize, id, b);
      },
      detach: () => {
        this.send(FRAME.detach, id);
        const e = this.procs.get(id);
        if (e?.proc === proc) {
          this.procs.delete(id);
          stdout.end();
          stderr.end();
          rejectExit(new Error('detached'));
        }
      },
    };
    this.procs.set(id, {
      proc,
      resolveStarted,
      resolveExit,
      reject: (err) => {
        rejectStarted(err);
        rejectExit(err);
      },
    });
    return proc;
  }

  private shut(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    const err = new Error(`agent connection lost: ${reason}`);
    for (const e of this.procs.values()) {
      e.proc.stdout.end();
      e.proc.stderr.end();
      e.reject(err);
    }
    this.procs.clear();
    for (const w of this.listWaiters) w([]);
    this.listWaiters = [];
    this.emit('close', reason);
  }
}
