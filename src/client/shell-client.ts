import { BerthError } from '../common/errors.js';
import type { ShellExit, ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import { exitFromCloseCode, queryFromShellOptions, type ServerMessage } from '../api/terminal-protocol.js';
import { errorFrom, type Endpoint } from './http.js';

/**
 * Opens a terminal WebSocket on the daemon (`/v1/sessions/{id}/shell` or `/attach`) and
 * returns it as the same `ShellStream` the in-process API gives. `ws` and the stream
 * class load only here, so other CLI verbs don't pay for them.
 */
export async function connectTerminal(ep: Endpoint, path: string, options: ShellOptions): Promise<ShellStream> {
  const query = queryFromShellOptions(options);
  const [{ WebSocket }, { ShellStream: Stream }] = await Promise.all([import('ws'), import('../interactive/shell-stream.js')]);
  const url = ep.socketPath ? `ws+unix://${ep.socketPath}:${path}?${query}` : `${(ep.url ?? '').replace(/^http/, 'ws')}${path}?${query}`;
  const ws = new WebSocket(url, { perMessageDeflate: false, ...(ep.ca ? { ca: ep.ca } : {}), ...(ep.token ? { headers: { authorization: `Bearer ${ep.token}` } } : {}) });
  let message: ServerMessage | undefined;
  const exit = new Promise<ShellExit>((resolve, reject) => {
    ws.on('close', (code: number) => {
      if (message?.type === 'exit') return resolve({ exitCode: message.exitCode, detached: message.detached });
      if (message?.type === 'error') return reject(new BerthError(message.error.code as never, message.error.message));
      const e = exitFromCloseCode(code);
      if (e) resolve(e);
      else reject(new BerthError('DaemonUnavailable', `the terminal connection closed (code ${code}) before the shell ended`));
    });
  });
  exit.catch(() => undefined); // also closes when the upgrade is refused; that error is thrown below instead
  // Listeners go on before 'open' is awaited: the first frames can arrive in the same read as the upgrade.
  const early: Buffer[] = [];
  let deliver: (d: Buffer) => void = (d) => void early.push(d);
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return deliver(data);
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'ready') ready();
    else message = m;
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => void errorFrom(res).then(reject, reject));
    ws.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new BerthError('DaemonUnavailable', `no berth daemon answers on ${ep.socketPath ?? ep.url} (${err.code}); start it with \`berth daemon\``, { cause: err })
          : BerthError.from(err),
      ),
    );
  });
  // Opening the shell can still fail after the upgrade (the engine refuses): that is this call's error.
  const endedEarly = exit.then(() => undefined);
  endedEarly.catch(() => undefined); // a later failure is the stream's exit's to report, not this one's
  await Promise.race([isReady, endedEarly]);
  if (message?.type === 'error') throw new BerthError(message.error.code as never, message.error.message);
  return new Stream({
    write: (d) => ws.send(d, { binary: true }),
    end: () => ws.close(1000),
    resize: async (cols, rows) => ws.send(JSON.stringify({ type: 'resize', cols, rows })),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    onData: (l) => {
      deliver = l;
      early.splice(0).forEach(l);
    },
    exit,
  });
}
