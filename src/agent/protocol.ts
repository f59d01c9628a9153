/**
 * The berth-agent wire protocol (agent/README.md): frames of
 * `u32 BE length | u8 type | u32 BE id | payload`, length counting type+id+payload.
 */

/** Largest payload either side sends or accepts: 64 KiB. */
export const MAX_PAYLOAD = 65_536;
/** Bytes before the payload. */
export const HEADER_BYTES = 9;

export const FRAME = {
  hello: 0x01,
  ping: 0x02,
  pong: 0x03,
  start: 0x10,
  started: 0x11,
  stdin: 0x12,
  stdout: 0x13,
  stderr: 0x14,
  resize: 0x15,
  signal: 0x16,
  exit: 0x17,
  attach: 0x18,
  detach: 0x19,
  list: 0x1a,
  listReply: 0x1b,
  forget: 0x1c,
  error: 0x1d,
} as const;

/** Start flags. */
export const START_FLAG = { stdin: 1, pty: 2, keep: 4 } as const;
/** EXIT kinds. */
export const EXIT_KIND = { code: 0, signal: 1, spawnFailed: 2 } as const;
/** Spawn failure categories in an EXIT frame of kind `spawnFailed`. */
export const SPAWN_FAILURE = { 1: 'not-found', 2: 'permission', 3: 'not-executable', 4: 'other' } as const;
export type SpawnFailure = (typeof SPAWN_FAILURE)[keyof typeof SPAWN_FAILURE];

export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/** One frame as bytes; throws when the payload passes `MAX_PAYLOAD`. */
export function encodeFrame(type: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`agent frame payload ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const b = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  b.writeUInt32BE(payload.length + 5, 0);
  b.writeUInt8(type, 4);
  b.writeUInt32BE(id >>> 0, 5);
  payload.copy(b, HEADER_BYTES);
  return b;
}

export interface StartRequest {
  argv: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  stdin?: boolean;
  pty?: { rows: number; cols: number };
  /** Kept when the connection goes: output buffered (1 MiB), reattachable. */
  keep?: boolean;
}

/** The START payload: flags, rows, cols, argc, envc, then NUL-terminated user, workdir, argv..., env... */
export function encodeStart(r: StartRequest): Buffer {
  const env = Object.entries(r.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const strings = [r.user ?? '', r.workdir ?? '', ...r.argv, ...env];
  for (const s of strings) if (s.includes('\0')) throw new RangeError('agent start strings must not contain NUL');
  const head = Buffer.alloc(9);
  head.writeUInt8((r.stdin ? START_FLAG.stdin : 0) | (r.pty ? START_FLAG.pty : 0) | (r.keep ? START_FLAG.keep : 0), 0);
  head.writeUInt16BE(r.pty?.rows ?? 0, 1);
  head.writeUInt16BE(r.pty?.cols ?? 0, 3);
  head.writeUInt16BE(r.argv.length, 5);
  head.writeUInt16BE(env.length, 7);
  return Buffer.concat([head, Buffer.from(strings.join('\0') + '\0')]);
}

export type AgentExit =
  | { kind: 'code'; code: number }
  | { kind: 'signal'; signal: number }
  | { kind: 'spawn-failed'; reason: SpawnFailure; message: string };

/** Reads an EXIT payload; `undefined` when it is malformed. */
export function decodeExit(p: Buffer): AgentExit | undefined {
  if (p.length < 5) return undefined;
  const kind = p.readUInt8(0);
  const value = p.readInt32BE(1);
  if (kind === EXIT_KIND.code && value >= 0 && value <= 255) return { kind: 'code', code: value };
  if (kind === EXIT_KIND.signal && value > 0 && value < 65) return { kind: 'signal', signal: value };
  if (kind === EXIT_KIND.spawnFailed) {
    const reason = SPAWN_FAILURE[value as keyof typeof SPAWN_FAILURE] ?? 'other';
    return { kind: 'spawn-failed', reason, message: printable(p.subarray(5, 205)) };
  }
  return undefined;
}

export interface AgentProcessInfo {
  id: number;
  pid: number;
  pty: boolean;
  kept: boolean;
  running: boolean;
  exit?: AgentExit;
  cmd: string;
}

/** Reads a LIST_REPLY payload; stops at the first malformed record. */
export function decodeList(p: Buffer): AgentProcessInfo[] {
  const out: AgentProcessInfo[] = [];
  let o = 0;
  while (p.length - o >= 17) {
    const len = p.readUInt16BE(o + 15);
    if (p.length - o - 17 < len) break;
    const flags = p.readUInt8(o + 8);
    const exited = p.readUInt8(o + 9) === 1;
    const exit = exited ? decodeExit(p.subarray(o + 10, o + 15)) : undefined;
    out.push({
      id: p.readUInt32BE(o),
      pid: p.readUInt32BE(o + 4),
      pty: (flags & START_FLAG.pty) !== 0,
      kept: (flags & START_FLAG.keep) !== 0,
      running: !exited,
      ...(exit ? { exit } : {}),
      cmd: printable(p.subarray(o + 17, o + 17 + len)),
    });
    o += 17 + len;
  }
  return out;
}

/** Text from the agent, with control characters replaced: it is untrusted. */
export function printable(b: Buffer): string {
  return b.toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '?');
}

/**
 * Splits bytes from the agent into frames. Every byte is untrusted: a length below the
 * header or above `MAX_PAYLOAD` is a protocol error (`push` throws and the connection
 * must be dropped); at most one frame's worth is ever buffered, and a frame
 * arriving a byte at a time is joined once, not once per byte.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes needed before parsing is worth trying again (a header, or the whole frame). */
  private need = 4;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (this.total < this.need) return [];
    let buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.total);
    const frames: Frame[] = [];
    this.need = 4;
    for (;;) {
      if (buf.length < 4) break;
      const len = buf.readUInt32BE(0);
      if (len < 5 || len > MAX_PAYLOAD + 5) throw new AgentProtocolError(`frame length ${len} outside 5..${MAX_PAYLOAD + 5}`);
      if (buf.length < 4 + len) {
        this.need = 4 + len;
        break;
      }
      frames.push({ type: buf.readUInt8(4), id: buf.readUInt32BE(5), payload: Buffer.from(buf.subarray(HEADER_BYTES, 4 + len)) });
      buf = buf.subarray(4 + len);
    }
    this.chunks = buf.length ? [Buffer.from(buf)] : [];
    this.total = buf.length;
    return frames;
  }

  /** Bytes of an incomplete frame held. */
  get buffered(): number {
    return this.total;
  }
}

export class AgentProtocolError extends Error {
  override name = 'AgentProtocolError';
}
