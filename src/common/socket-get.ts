import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';

/** Where a server listens: a unix socket, or a plain TCP host and port. */
export type SocketAddress = { socketPath: string } | { host: string; port: number };

/**
 * The body of a response, read one way: `drain` (fastest: synchronous pieces,
 * no copies) or `stream` (a Readable). `close` abandons it.
 */
export interface ArchiveBody {
  /**
   * Hands each piece of the body to `consume`, synchronously. A piece is a view into a
   * reused buffer, valid only during the call. Resolves at the body's end; rejects when
   * `consume` throws or the connection fails.
   */
  drain(consume: (piece: Buffer) => void): Promise<void>;
  /** The body as a Readable (pieces copied); destroying it closes the connection. */
  stream(): Readable;
  close(): void;
}

export interface SocketGetResponse {
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
  body: ArchiveBody;
}

/** Socket reads go into one buffer of this size, reused. */
const READ_BUFFER = 256 * 1024;
const HEAD_LIMIT = 64 * 1024;

/**
 * GETs `path` over a bare socket and streams the body: for large bodies (archives out of
 * the engine, and out of the daemon for `berth cp`).
 *
 * Why not node:http (or dockerode, which uses it): here it costs about 3 ms of CPU per MB
 * (a read and a new Buffer per 64 KB, each 32 KB chunk parsed by llhttp, and the garbage
 * of it), which made a 100 MB copy out 1.3-1.6x `docker cp`. Reading into one reused
 * buffer and de-chunking in place costs about 1 ms per MB.
 *
 * A non-200 answer rejects with `{ statusCode, json }` (json: the parsed body, or its text),
 * the shape translateEngineError reads.
 */
export function socketGet(address: SocketAddress, path: string, headers: Record<string, string> = {}): Promise<SocketGetResponse> {
  return new Promise((resolve, reject) => {
    const decoder = new ResponseDecoder();
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    /** Body bytes read before a reader was chosen (copied). */
    const early: Buffer[] = [];
    /** The chosen reader: given each piece; false pauses the socket. */
    let reader: ((piece: Buffer) => boolean) | undefined;
    let onEnd: ((err?: Error) => void) | undefined;
    let answered = false;
    let finished = false;
    /** The end, when it came before a reader was chosen. */
    let pendingEnd: { err?: Error | undefined } | undefined;

    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      socket.destroy();
      if (!answered) {
        answered = true;
        reject(err ?? new Error('the server closed the connection without an answer'));
      } else if (onEnd) onEnd(err);
      else pendingEnd = { err };
    };

    const onBytes = (bytes: Buffer): boolean => {
      const pieces = decoder.feed(bytes);
      if (!decoder.head) return true;
      if (decoder.head.status !== 200) {
        decoder.errorBody.push(...pieces.map((p) => Buffer.from(p)));
        if (decoder.done) finish(errorFrom(decoder));
        return true;
      }
      let more = true;
      if (reader) for (const p of pieces) more = reader(p) && more;
      else early.push(...pieces.map((p) => Buffer.from(p)));
      if (!answered) {
        answered = true;
        resolve({ headers: decoder.head.headers, body });
        more = false; // until a reader is chosen
      }
      if (decoder.done) {
        finish();
        return false;
      }
      return more;
    };

    const socket: Socket = connect({
      ...('socketPath' in address ? { path: address.socketPath } : { host: address.host, port: address.port }),
      onread: {
        buffer,
        callback: (n: number) => {
          try {
            return onBytes(buffer.subarray(0, n));
          } catch (err) {
            finish(err as Error);
            return false;
          }
        },
      },
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`));
    socket.on('end', () => {
      if (!decoder.endOfStream()) {
        finish(Object.assign(new Error('the server closed the stream before its end'), { code: 'ECONNRESET' }));
      } else if (decoder.head?.status !== 200) finish(errorFrom(decoder));
      else {
        if (!answered) onBytes(Buffer.alloc(0));
        finish();
      }
    });
    socket.on('error', (err) => finish(err));

    /** Chooses the reader once; replays what came early, then lets the socket read on. */
    const choose = (r: (piece: Buffer) => boolean, end: (err?: Error) => void) => {
      if (reader) throw new Error('an archive body can be read once');
      reader = r;
      onEnd = end;
      for (const p of early.splice(0)) r(p);
      if (pendingEnd) end(pendingEnd.err);
      else socket.resume();
    };

    const body: ArchiveBody = {
      drain: (consume) =>
        new Promise<void>((ok, fail) => {
          let failed: Error | undefined;
          choose(
            (piece) => {
              if (failed) return false;
              try {
                consume(piece);
                return true;
              } catch (err) {
                failed = err as Error;
                finish(failed);
                return false;
              }
            },
            (err) => (failed || err ? fail(failed ?? err) : ok()),
          );
        }),
      stream: () => {
        const out: Readable = new Readable({
          highWaterMark: 4 * READ_BUFFER,
          read: () => {
            if (!finished) socket.resume();
          },
          destroy: (err, cb) => {
            finish(err ?? undefined);
            cb(err);
          },
        });
        choose(
          (piece) => out.push(Buffer.from(piece)),
          (err) => (err ? out.destroy(err) : out.push(null)),
        );
        return out;
      },
      close: () => finish(),
    };
  });
}

function errorFrom(decoder: ResponseDecoder): Error {
  const text = Buffer.concat(decoder.errorBody).toString('utf8');
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text
  }
  return Object.assign(new Error(`HTTP ${decoder.head?.status}`), { statusCode: decoder.head?.status, json });
}

interface ResponseHead {
  status: number;
  headers: Record<string, string>;
}

type BodyMode = { kind: 'chunked' } | { kind: 'length'; left: number } | { kind: 'close' };

/**
 * An HTTP/1.1 parser for one response: the head, then the body as sub-arrays of the
 * bytes fed. Handles chunked, Content-Length and close-delimited bodies.
 */
export class ResponseDecoder {
  head: ResponseHead | undefined;
  done = false;
  readonly errorBody: Buffer[] = [];
  private headBytes: Buffer[] = [];
  private headLength = 0;
  private mode: BodyMode = { kind: 'close' };
  private chunkLeft = 0;
  private line = '';
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';

  /** Feeds bytes; returns the body bytes among them, as views into `bytes`. */
  feed(bytes: Buffer): Buffer[] {
    let rest = bytes;
    if (!this.head) {
      const joined = this.headBytes.length ? Buffer.concat([...this.headBytes, bytes]) : bytes;
      const end = joined.indexOf('\r\n\r\n');
      if (end < 0) {
        this.headLength += bytes.length;
        if (this.headLength > HEAD_LIMIT) throw new Error('the server sent a response head over 64 KB');
        this.headBytes.push(Buffer.from(bytes));
        return [];
      }
      this.head = parseHead(joined.subarray(0, end).toString('latin1'));
      this.headBytes = [];
      const te = this.head.headers['transfer-encoding'];
      const cl = this.head.headers['content-length'];
      if (te?.toLowerCase().includes('chunked')) this.mode = { kind: 'chunked' };
      else if (cl !== undefined) this.mode = { kind: 'length', left: Number(cl) };
      if (this.mode.kind === 'length' && this.mode.left === 0) this.done = true;
      rest = joined.subarray(end + 4);
    }
    if (this.done || rest.length === 0) return [];
    if (this.mode.kind === 'close') return [rest];
    if (this.mode.kind === 'length') {
      const take = Math.min(rest.length, this.mode.left);
      this.mode.left -= take;
      if (this.mode.left === 0) this.done = true;
      return take ? [rest.subarray(0, take)] : [];
    }
    return this.dechunk(rest);
  }

  /** True when the connection may end here: the body was complete, or runs to the close. */
  endOfStream(): boolean {
    if (!this.head) return false;
    if (this.mode.kind === 'close') this.done = true;
    return this.done;
  }

  /** The next line ending in `bytes` from `i`: its text (with any earlier partial line), and where the rest starts. */
  private takeLine(bytes: Buffer, i: number): { text: string; next: number } | undefined {
    const nl = bytes.indexOf(0x0a, i);
    if (nl < 0) {
      this.line += bytes.toString('latin1', i);
      if (this.line.length > 4096) throw new Error('the server sent a chunk line over 4 KB');
      return undefined;
    }
    const text = (this.line + bytes.toString('latin1', i, nl)).trim();
    this.line = '';
    return { text, next: nl + 1 };
  }

  private dechunk(bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < bytes.length && !this.done) {
      if (this.state === 'data') {
        const take = Math.min(this.chunkLeft, bytes.length - i);
        out.push(bytes.subarray(i, i + take));
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'data-end') {
        // The CRLF after a chunk's data.
        if (bytes[i] === 0x0a) this.state = 'size';
        i += 1;
        continue;
      }
      const line = this.takeLine(bytes, i);
      if (!line) break;
      i = line.next;
      if (this.state === 'trailer') {
        if (line.text === '') this.done = true;
        continue;
      }
      const size = parseInt(line.text.split(';', 1)[0]!, 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error(`the server sent a bad chunk size "${line.text.slice(0, 20)}"`);
      this.chunkLeft = size;
      this.state = size === 0 ? 'trailer' : 'data';
    }
    return out;
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`the server sent a bad status line "${statusLine.slice(0, 40)}"`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

/** An ArchiveBody over a Readable (for responses read through node:http or dockerode). */
export function readableBody(source: Readable): ArchiveBody {
  return {
    drain: async (consume) => {
      for await (const chunk of source) consume(chunk as Buffer);
    },
    stream: () => source,
    close: () => source.destroy(),
  };
}
