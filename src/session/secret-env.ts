import { BerthError } from '../common/errors.js';

/** Names whose values are secret unless configured otherwise (case-insensitive globs). */
export const DEFAULT_SECRET_ENV_PATTERNS: readonly string[] = ['*_TOKEN', '*_KEY', '*_SECRET', '*PASSWORD*'];

/** What every surface shows in place of a secret value. */
export const REDACTED = '***';

/** Host variables never taken into a session, whatever the pattern: berth's own (its TCP token among them). */
const NEVER_TAKEN = /^BERTH_/i;

const globRegex = (pattern: string): RegExp =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');

/** A predicate over variable names: true when one of the globs (`*` any run of characters) matches, case-insensitive. */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(globRegex);
  return (name) => res.some((r) => r.test(name));
}

/** A glob over environment variable names: letters, digits, `_` and `*`. */
export const ENV_PATTERN = /^[A-Za-z0-9_*]+$/;

/**
 * The variables of `hostEnv` whose names match one of `patterns` (`--env-from-host`),
 * never `BERTH_*`. `InvalidArgument` for a pattern that is not a glob over names.
 */
export function takeHostEnv(patterns: readonly string[], hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const bad = patterns.filter((p) => !ENV_PATTERN.test(p));
  if (bad.length) {
    throw new BerthError('InvalidArgument', `envFromHost: ${bad.map((p) => `"${p}"`).join(', ')} is not a name pattern (letters, digits, _ and *)`, {
      details: { problems: bad.map((p) => ({ path: 'envFromHost', message: `"${p}" may use only letters, digits, _ and *` })) },
    });
  }
  const match = nameMatcher(patterns);
  return Object.fromEntries(
    Object.entries(hostEnv).filter((e): e is [string, string] => e[1] !== undefined && !NEVER_TAKEN.test(e[0]) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(e[0]) && match(e[0])),
  );
}

/** `env` split in two: `shown` with every secret value replaced by `***`, and `secret` with the values. */
export function splitEnv(env: Readonly<Record<string, string>> | undefined, isSecret: (name: string) => boolean): { shown: Record<string, string>; secret: Record<string, string> } {
  const shown: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (isSecret(k)) {
      shown[k] = REDACTED;
      secret[k] = v;
    } else shown[k] = v;
  }
  return { shown, secret };
}

/** A session's environment with its secret values put back (for the process, never for a caller). */
export function revealEnv(
  shown: { spec: Readonly<Record<string, string>> | undefined; defaults: Readonly<Record<string, string>> | undefined },
  secrets: { spec: Record<string, string>; defaults: Record<string, string> },
): { spec: Record<string, string> | undefined; defaults: Record<string, string> | undefined } {
  return {
    spec: shown.spec && { ...shown.spec, ...secrets.spec },
    defaults: shown.defaults && { ...shown.defaults, ...secrets.defaults },
  };
}
