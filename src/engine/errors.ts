import { BerthError, type ErrorCode } from '../common/errors.js';

/** The shape of an error from dockerode / docker-modem. */
interface ModemError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | string | null;
  reason?: string;
  message?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 409 || status === 304) return 'Conflict';
  if (status === 400) return 'InvalidArgument';
  if (status === 401 || status === 403) return 'PolicyDenied';
  return 'Internal';
}

/** The engine's own message, without docker-modem's `(HTTP code …)` prefix. */
export function engineMessage(err: unknown): string {
  const e = err as ModemError;
  if (e.json && typeof e.json === 'object' && typeof e.json.message === 'string') return e.json.message;
  if (typeof e.json === 'string' && e.json.trim()) return e.json.trim();
  return e.message ?? String(err);
}

export function engineStatus(err: unknown): number | undefined {
  const s = (err as ModemError | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Translates an engine error into a BerthError, once, by status code (never by message).
 * `what` names the operation for the message, e.g. `stop container abc`.
 */
export function translateEngineError(err: unknown, what: string): BerthError {
  if (err instanceof BerthError) return err;
  const e = err as ModemError;
  const status = engineStatus(err);
  if (status !== undefined) {
    return new BerthError(codeForStatus(status), `${what}: ${engineMessage(err)}`, {
      details: { engineStatus: status },
      cause: err,
    });
  }
  if (e?.code && CONNECTION_CODES.has(e.code)) {
    return new BerthError('EngineUnavailable', `${what}: the engine did not answer (${e.code}); is it running? Run scripts/bootstrap-engines.sh`, {
      cause: err,
    });
  }
  if ((err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError') {
    return new BerthError('Timeout', `${what}: the engine did not answer in time`, { cause: err });
  }
  return new BerthError('Internal', `${what}: ${engineMessage(err)}`, { cause: err });
}
