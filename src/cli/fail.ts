import { BerthError, EXIT_STATUS } from '../common/errors.js';

/** Prints `berth: error [Code]: message` and exits with the code's status (README table). */
export function fail(err: unknown): never {
  const e = BerthError.from(err);
  process.stderr.write(`berth: error [${e.code}]: ${e.message}\n`);
  process.exit(EXIT_STATUS[e.code]);
}
