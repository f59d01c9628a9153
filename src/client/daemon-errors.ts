import { BerthError, ERROR_CODES, type ErrorCode } from '../common/errors.js';

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE']);

/** A connection error that means no daemon listens (`DaemonUnavailable`), or any other error as it is. */
export function connectionError(where: string, err: NodeJS.ErrnoException): BerthError {
  if (!err.code || !UNREACHABLE.has(err.code)) return BerthError.from(err);
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new BerthError(
      'Unauthorized',
      `permission denied on the daemon's socket ${where}: it is open to its owner only (and to the daemon's socketGroup when one is set). ` +
        'Run berth as root, or let this user in, as root: `groupadd berth; usermod -aG berth USER`, restart the daemon with --socket-group berth (config socketGroup), then log in again',
      { details: { socket: where }, cause: err },
    );
  }
  return new BerthError(
    'DaemonUnavailable',
    `no berth daemon answers on ${where} (${err.code}); start it with \`berth daemon\` (or scripts/install.sh), or point --socket / BERTH_SOCKET at it`,
    { details: { socket: where }, cause: err },
  );
}

/** Turns an error response body `{ code, message, details }` into the BerthError the daemon raised. */
export function errorFromBody(status: number | undefined, text: string): BerthError {
  try {
    const e = JSON.parse(text) as { code?: string; message?: string; details?: Record<string, unknown> };
    const code = (ERROR_CODES as readonly string[]).includes(e.code ?? '') ? (e.code as ErrorCode) : 'Internal';
    return new BerthError(code, e.message ?? `HTTP ${status}`, { details: e.details ?? {} });
  } catch {
    return new BerthError('Internal', `daemon answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
