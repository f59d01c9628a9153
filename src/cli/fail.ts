import { BerthError, EXIT_STATUS } from '../common/errors.js';

/** Engine ids (64 hex digits) in a message, cut to the 12 that docker shows. */
export function shortIds(message: string): string {
  return message.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1');
}

/** Prints `berth: error [Code]: message` and exits with the code's status (README table). */
export function fail(err: unknown): never {
  const e = BerthError.from(err);
  process.stderr.write(`berth: error [${e.code}]: ${shortIds(e.message)}\n`);
  process.exit(EXIT_STATUS[e.code]);
}
