import { connect } from 'node:net';
import type { Frame } from '../api/frames.js';
import { connectionError, errorFromBody } from '../client/daemon-errors.js';
import { LineSplitter } from '../client/ndjson.js';
import { BerthError } from '../common/errors.js';
import { defaultSocketPath } from '../common/paths.js';
import { exitQuietlyOnClosedPipe } from './epipe.js';
import { fail } from './fail.js';

/**
 * `berth [--socket PATH] exec SESSION [--] CMD...` with no other options: the commonest
 * call of a short-lived CLI, answered from a small bundle (dist/cli/berth-exec.cjs)
 * without commander or the rest of the CLI. Returns false for any other argv, which
 * then goes to the full CLI (`main`), so both give the same results.
 */
export function simpleExecArgs(argv: readonly string[]): { socket?: string; session: string; cmd: string[] } | undefined {
  let i = 2;
  let socket: string | undefined;
  if (argv[i] === '--socket' && argv[i + 1]) {
    socket = argv[i + 1];
    i += 2;
  }
  const session = argv[i + 1];
  const first = argv[i + 2];
  if (argv[i] !== 'exec' || !session || session.startsWith('-') || first === undefined) return undefined;
  if (first === '--') return argv.length > i + 3 ? { ...(socket ? { socket } : {}), session, cmd: argv.slice(i + 3) } : undefined;
  return first.startsWith('-') ? undefined : { ...(socket ? { socket } : {}), session, cmd: argv.slice(i + 2) };
}

/** Writes to `out`; pauses `source` until `out` drains when it is full. */
function forward(out: NodeJS.WriteStream, data: string, source: { pause(): void; resume(): void }): void {
  if (!out.write(Buffer.from(data, 'base64'))) {
    source.pause();
    out.once('drain', () => source.resume());
  }
}

/**
 * `POST /v1/sessions/{id}/exec/stream` over a bare unix socket, as HTTP/1.0 so the
 * answer is not chunked and ends when the daemon closes: no `node:http` to load, which is
 * a good part of a short-lived CLI's start-up. Streams the frames to stdout/stderr and
 * resolves with the command's exit code (1 when it was killed).
 */
export function execOverSocket(socketPath: string, session: string, cmd: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ cmd });
    const sock = connect(socketPath);
    sock.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(socketPath, err)));
    // write, not end: a half-closed request reads to the server as a client that went away.
    sock.write(
      `POST /v1/sessions/${encodeURIComponent(session)}/exec/stream HTTP/1.0\r\nhost: berth\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    let head: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    const errorBody: Buffer[] = [];
    const split = new LineSplitter();
    let last: Frame | undefined;
    const frames = (lines: string[]) => {
      for (const line of lines) {
        const f = JSON.parse(line) as Frame;
        if ('o' in f) forward(process.stdout, f.o, sock);
        else if ('e' in f) forward(process.stderr, f.e, sock);
        else last = f;
      }
    };
    sock.on('data', (chunk: Buffer) => {
      if (head) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(head.toString('latin1', 9, 12));
        chunk = head.subarray(end + 4);
        head = undefined;
      }
      if (status >= 400) errorBody.push(chunk);
      else frames(split.push(chunk));
    });
    sock.on('end', () => {
      sock.destroy();
      if (status >= 400) return reject(errorFromBody(status, Buffer.concat(errorBody).toString('utf8')));
      frames(split.end());
      if (last && 'exit' in last) return resolve(last.exit.exitCode < 0 ? 1 : last.exit.exitCode);
      if (last && 'error' in last) return reject(new BerthError(last.error.code as never, last.error.message));
      reject(new BerthError('DaemonUnavailable', 'the daemon closed the exec stream before the command finished'));
    });
  });
}

/** Runs the simple exec and exits, or returns false when `argv` is not that form. */
export async function fastExec(argv: readonly string[]): Promise<boolean> {
  const args = simpleExecArgs(argv);
  if (!args || process.env.BERTH_URL) return false;
  exitQuietlyOnClosedPipe();
  try {
    process.exitCode = await execOverSocket(args.socket ?? defaultSocketPath(), args.session, args.cmd);
    process.exit();
  } catch (err) {
    fail(err);
  }
}
