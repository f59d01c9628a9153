import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseDecoder, socketGet } from '../../src/common/socket-get.js';

/** Feeds `bytes` to a decoder in pieces of `step` bytes; returns the body and the decoder. */
function decode(bytes: Buffer, step: number): { body: Buffer; decoder: ResponseDecoder } {
  const decoder = new ResponseDecoder();
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) out.push(...decoder.feed(bytes.subarray(i, i + step)).map((p) => Buffer.from(p)));
  return { body: Buffer.concat(out), decoder };
}

const chunked = (parts: Buffer[]) =>
  Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Docker-Container-Path-Stat: e30=\r\n\r\n'),
    ...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from('0\r\n\r\n'),
  ]);

describe('ResponseDecoder', () => {
  const parts = [randomBytes(1000), randomBytes(1), randomBytes(70_000)];

  it.each([1, 2, 7, 512, 100_000])('de-chunks a body fed %i bytes at a time', (step) => {
    const { body, decoder } = decode(chunked(parts), step);
    expect(body.equals(Buffer.concat(parts))).toBe(true);
    expect(decoder.done).toBe(true);
    expect(decoder.head?.headers['x-docker-container-path-stat']).toBe('e30=');
  });

  it('stops at Content-Length and ignores what follows', () => {
    const payload = randomBytes(5000);
    const raw = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n`), payload, Buffer.from('garbage')]);
    const { body, decoder } = decode(raw, 333);
    expect(body.equals(payload)).toBe(true);
    expect(decoder.done).toBe(true);
  });

  it('runs a body without length or chunks to the close', () => {
    const payload = randomBytes(3000);
    const { body, decoder } = decode(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), payload]), 1000);
    expect(body.equals(payload)).toBe(true);
    expect(decoder.done).toBe(false);
    expect(decoder.endOfStream()).toBe(true);
  });

  it('says a chunked body cut short has not ended', () => {
    const raw = chunked(parts);
    const { decoder } = decode(raw.subarray(0, raw.length - 100), 4096);
    expect(decoder.endOfStream()).toBe(false);
  });

  it('refuses a bad chunk size and a bad status line', () => {
    expect(() => decode(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 100)).toThrow(/bad chunk size/);
    expect(() => decode(Buffer.from('SMTP ready\r\n\r\n'), 100)).toThrow(/bad status line/);
  });
});

describe('socketGet against a local server', () => {
  let dir: string;
  let socketPath: string;
  let server: Server | NetServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-socket-get-'));
    socketPath = join(dir, 's.sock');
  });
  afterEach(async () => {
    if (server && 'closeAllConnections' in server) server.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const serve = (handler: (res: ServerResponse, url: string) => void) =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => handler(res, req.url ?? '')).listen(socketPath, resolve);
    });

  const big = randomBytes(3 * 1024 * 1024 + 17);
  const sendBig = (res: ServerResponse) => {
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': 'e30=' });
    for (let i = 0; i < big.length; i += 32 * 1024) res.write(big.subarray(i, i + 32 * 1024));
    res.end();
  };

  it('drains a chunked body byte for byte, with the headers, the request path and the request headers', async () => {
    let asked = '';
    let auth: string | undefined;
    server = createServer((req, res) => {
      asked = req.url ?? '';
      auth = req.headers.authorization;
      sendBig(res);
    });
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    const r = await socketGet({ socketPath }, '/containers/c1/archive?path=%2Fa%20b', { authorization: 'Bearer t0k' });
    expect(asked).toBe('/containers/c1/archive?path=%2Fa%20b');
    expect(auth).toBe('Bearer t0k');
    expect(r.headers['x-docker-container-path-stat']).toBe('e30=');
    const got: Buffer[] = [];
    await r.body.drain((p) => got.push(Buffer.from(p)));
    expect(Buffer.concat(got).equals(big)).toBe(true);
  });

  it('streams a body as a Readable, slow reader included', async () => {
    await serve((res) => sendBig(res));
    const r = await socketGet({ socketPath }, '/x');
    const got: Buffer[] = [];
    for await (const chunk of r.body.stream()) {
      got.push(chunk as Buffer);
      if (got.length % 5 === 0) await new Promise((ok) => setTimeout(ok, 2));
    }
    expect(Buffer.concat(got).equals(big)).toBe(true);
  });

  it('rejects an error answer with its status and JSON message', async () => {
    await serve((res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Could not find the file /nope in container c1' }));
    });
    const err = (await socketGet({ socketPath }, '/x').catch((e: unknown) => e)) as { statusCode: number; json: { message: string } };
    expect(err.statusCode).toBe(404);
    expect(err.json.message).toMatch(/Could not find the file/);
  });

  it('fails the body when the connection drops before its end', async () => {
    await new Promise<void>((resolve) => {
      server = createNetServer((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        sock.write('10000\r\n');
        sock.end(randomBytes(1000), () => sock.destroy());
      }).listen(socketPath, resolve);
    });
    const r = await socketGet({ socketPath }, '/x');
    await expect(r.body.drain(() => undefined)).rejects.toThrow(/before its end/);
  });

  it('stops reading and closes when the consumer throws', async () => {
    await serve((res) => sendBig(res));
    const r = await socketGet({ socketPath }, '/x');
    let calls = 0;
    const drained = r.body.drain(() => {
      calls += 1;
      if (calls === 2) throw new Error('disk full');
    });
    await expect(drained).rejects.toThrow('disk full');
    expect(calls).toBe(2);
  });

  it('answers a refused connection with its error code', async () => {
    const err = (await socketGet({ socketPath: join(dir, 'none.sock') }, '/x').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe('ENOENT');
  });
});
