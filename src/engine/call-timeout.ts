import { BerthError } from '../common/errors.js';

/** Bound of an engine call that has no kind of its own below, in ms: 60 s. */
export const DEFAULT_ENGINE_CALL_MS = 60_000;

/**
 * The default bound of an engine call, in ms, by the first word(s) of what it does;
 * 0 for calls that wait for something by design (a container's exit, a streamed upload,
 * which has its own idle bound, the event stream: Podman sends its headers only with the
 * first event). Other streaming calls (logs, attach, exec start, an archive read) are
 * bounded until the engine answers; the stream itself is not.
 */
export function engineCallTimeout(what: string): number {
  if (what.startsWith('wait for') || what.startsWith('copy into') || what === 'events') return 0;
  if (what.startsWith('commit')) return 600_000;
  if (what.startsWith('remove') || what.startsWith('prune') || what.startsWith('sizes')) return 300_000;
  if (/^(ping|inspect|list|stats|resize|version|info)\b/.test(what)) return 30_000;
  return DEFAULT_ENGINE_CALL_MS;
}

/**
 * Runs `fn` with an AbortSignal that fires after `ms` (none when 0); rejects with
 * `Timeout` then, whether or not `fn` honoured the signal.
 */
export async function withTimeout<T>(what: string, ms: number, fn: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (ms <= 0) return fn(undefined);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new BerthError('Timeout', `${what}: the engine did not answer within ${ms} ms; check that it is healthy (docker info / podman info) and retry`, {
        details: { timeoutMs: ms },
      });
      abort.abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([fn(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
