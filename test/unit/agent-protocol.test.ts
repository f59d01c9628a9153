import { randomBytes, randomInt } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/agent/agent-connection.js';
import {
  AgentProtocolError,
  decodeExit,
  decodeList,
  encodeFrame,
  encodeStart,
  FRAME,
  FrameParser,
  HEADER_BYTES,
  MAX_PAYLOAD,
} from '../../src/agent/protocol.js';

/** A connection whose "agent" side is ours to write into. */
function pair(): { conn: AgentConnection; agent: PassThrough; sent: Buffer[] } {
  const agent = new PassThrough();
  const sent: Buffer[] = [];
  const sock = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      sent.push(chunk);
      cb();
    },
  });
  agent.on('data', (d: Buffer) => sock.push(d));
  agent.on('end', () => sock.push(null));
  return { conn: new AgentConnection(sock, { pid: 1, version: 'berth-agent 1' }), agent, sent };
}

describe('FrameParser (bytes from the agent are untrusted)', () => {
  it('gives back every frame whatever the chunking', () => {
    const frames = Array.from({ length: 50 }, () => ({ type: randomInt(0, 256), id: randomInt(0, 2 ** 32), payload: randomBytes(randomInt(0, 400)) }));
    const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload)));
    for (const max of [1, 7, 100, 65_536]) {
      const p = new FrameParser();
      const got = [];
      for (let o = 0; o < bytes.length; ) {
        const n = randomInt(1, max + 1);
        got.push(...p.push(bytes.subarray(o, o + n)));
        o += n;
      }
      expect(got).toEqual(frames);
      expect(p.buffered).toBe(0);
    }
  });

  it('holds a truncated frame without returning it, and never more than one frame of it', () => {
    const whole = encodeFrame(FRAME.stdout, 5, randomBytes(1000));
    const p = new FrameParser();
    expect(p.push(whole.subarray(0, whole.length - 1))).toEqual([]);
    expect(p.buffered).toBe(whole.length - 1);
    expect(p.push(whole.subarray(whole.length - 1))).toHaveLength(1);
  });

  it('refuses a frame longer than the bound before buffering it (oversize frame)', () => {
    const h = Buffer.alloc(HEADER_BYTES);
    h.writeUInt32BE(MAX_PAYLOAD + 6, 0);
    expect(() => new FrameParser().push(h)).toThrow(AgentProtocolError);
    h.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameParser().push(h.subarray(0, 4))).toThrow(AgentProtocolError);
    h.writeUInt32BE(4, 0);
    expect(() => new FrameParser().push(h)).toThrow(/outside/);
    expect(() => encodeFrame(FRAME.stdin, 1, Buffer.alloc(MAX_PAYLOAD + 1))).toThrow(RangeError);
  });

  it('on random bytes either throws a protocol error or returns bounded frames (fuzz)', () => {
    for (let i = 0; i < 2000; i++) {
      const p = new FrameParser();
      try {
        for (const f of p.push(randomBytes(randomInt(0, 200)))) expect(f.payload.length).toBeLessThanOrEqual(MAX_PAYLOAD);
        expect(p.buffered).toBeLessThanOrEqual(MAX_PAYLOAD + HEADER_BYTES);
      } catch (err) {
        expect(err).toBeInstanceOf(AgentProtocolError);
      }
    }
  });
});

describe('payload decoders', () => {
  it('reads exits strictly', () => {
    const x = (kind: number, v: number, text = '') => Buffer.concat([Buffer.from([kind]), Buffer.from([v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255]), Buffer.from(text)]);
    expect(decodeExit(x(0, 3))).toEqual({ kind: 'code', code: 3 });
    expect(decodeExit(x(0, 300))).toBeUndefined();
    expect(decodeExit(x(1, 9))).toEqual({ kind: 'signal', signal: 9 });
    expect(decodeExit(x(1, 0))).toBeUndefined();
    expect(decodeExit(x(2, 1, 'No such file\u0007'))).toEqual({ kind: 'spawn-failed', reason: 'not-found', message: 'No such file?' });
    expect(decodeExit(x(2, 77))).toMatchObject({ reason: 'other' });
    expect(decodeExit(Buffer.alloc(3))).toBeUndefined();
    expect(decodeExit(x(9, 0))).toBeUndefined();
  });

  it('reads a list and stops at a truncated record', () => {
    const rec = Buffer.alloc(17 + 4);
    rec.writeUInt32BE(7, 0);
    rec.writeUInt32BE(42, 4);
    rec.writeUInt8(4, 8);
    rec.writeUInt16BE(4, 15);
    rec.write('echo', 17);
    expect(decodeList(Buffer.concat([rec, rec.subarray(0, 19)]))).toEqual([{ id: 7, pid: 42, pty: false, kept: true, running: true, cmd: 'echo' }]);
  });

  it('refuses NUL in start strings', () => {
    expect(() => encodeStart({ argv: ['a\0b'] })).toThrow(RangeError);
  });
});

describe('AgentConnection over a hostile agent', () => {
  it('drops the connection on garbage and fails the pending command instead of hanging', async () => {
    const { conn, agent } = pair();
    const p = conn.start({ argv: ['true'] });
    const closed = new Promise((r) => conn.once('close', r));
    agent.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(await closed).toMatch(/protocol error/);
    await expect(p.exit).rejects.toThrow(/lost/);
    await expect(conn.ping()).rejects.toThrow(/closed/);
  });

  it('fails pending commands when the agent hangs up mid-frame (truncated frame)', async () => {
    const { conn, agent } = pair();
    const p = conn.start({ argv: ['true'] });
    agent.end(encodeFrame(FRAME.stdout, p.id, Buffer.from('partial')).subarray(0, 12));
    await expect(p.exit).rejects.toThrow(/lost/);
  });

  it('ignores frames for processes it did not start and survives a malformed exit', async () => {
    const { conn, agent, sent } = pair();
    const p = conn.start({ argv: ['x'] });
    agent.write(encodeFrame(FRAME.stdout, p.id + 1, Buffer.from('not yours')));
    agent.write(encodeFrame(FRAME.stdout, p.id, Buffer.from('mine')));
    agent.write(encodeFrame(FRAME.exit, p.id, Buffer.from([0])));
    const out: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    expect(await p.exit).toMatchObject({ kind: 'spawn-failed', reason: 'other' });
    expect(Buffer.concat(out).toString()).toBe('mine');
    expect(conn.closed).toBe(false);
    expect(sent[0]?.readUInt8(4)).toBe(FRAME.start);
  });
});
