/** Stable error codes. Callers switch on `code`, never on messages. */
export const ERROR_CODES = [
  'NotFound',
  'Conflict',
  'InvalidArgument',
  'EngineUnavailable',
  'PolicyDenied',
  'Timeout',
  'Unauthorized',
  'DaemonUnavailable',
  'Internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one table from error code to HTTP status. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  NotFound: 404,
  Conflict: 409,
  InvalidArgument: 400,
  EngineUnavailable: 503,
  PolicyDenied: 403,
  Timeout: 504,
  Unauthorized: 401,
  DaemonUnavailable: 503,
  Internal: 500,
};

/**
 * The CLI's exit status for a failure of berth itself, whatever its code: 125, as docker's,
 * so it never overlaps a command's own exit code (the code is in the message). See
 * `COMMAND_EXIT` for the statuses of a command berth ran. Documented in README.
 */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  InvalidArgument: 125,
  NotFound: 125,
  Conflict: 125,
  EngineUnavailable: 125,
  PolicyDenied: 125,
  Timeout: 125,
  Unauthorized: 125,
  DaemonUnavailable: 125,
  Internal: 125,
};

/** Exit statuses of a command berth ran, as docker's and timeout(1)'s. */
export const COMMAND_EXIT = {
  /** The command ran past its `--timeout` and was killed. */
  timedOut: 124,
  /** The command exists but cannot be executed (permission denied, not a program). */
  notExecutable: 126,
  /** No such command. */
  notFound: 127,
} as const;

/** A problem with one field of an input, e.g. `{ path: 'memory', message: '"12zb" is not a size' }`. */
export interface FieldProblem {
  path: string;
  message: string;
}

export interface BerthErrorDetails {
  [key: string]: unknown;
  problems?: FieldProblem[];
}

export interface BerthErrorOptions {
  details?: BerthErrorDetails;
  cause?: unknown;
}

/** Every error berth raises on purpose. `message` says what happened and what to do. */
export class BerthError extends Error {
  override readonly name = 'BerthError';
  readonly code: ErrorCode;
  readonly details: BerthErrorDetails;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details: BerthErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }

  static is(err: unknown, code?: ErrorCode): err is BerthError {
    return err instanceof BerthError && (code === undefined || err.code === code);
  }

  /** Wraps anything that is not already a BerthError as `Internal`. */
  static from(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new BerthError('Internal', message, { cause: err });
  }
}

export function invalidArgument(problems: FieldProblem[], what = 'input'): BerthError {
  const list = problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
  return new BerthError('InvalidArgument', `invalid ${what}: ${list}`, { details: { problems } });
}
