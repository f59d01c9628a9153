import { BerthError } from '../common/errors.js';
import { takeHostEnv } from '../session/secret-env.js';

/** `K=V` list → record; `InvalidArgument` naming the flag on a bad item. */
export function keyValues(items: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i < 1) throw new BerthError('InvalidArgument', `${flag}: "${item}" is not KEY=VALUE`, { details: { problems: [{ path: flag, message: 'must be KEY=VALUE' }] } });
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole, non-negative number for a flag; `InvalidArgument` otherwise. */
export function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BerthError('InvalidArgument', `${flag}: "${value}" is not a whole number`, { details: { problems: [{ path: flag, message: 'must be a whole number' }] } });
  }
  return n;
}

export function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new BerthError('InvalidArgument', `${flag}: "${value}" is not a positive number`, { details: { problems: [{ path: flag, message: 'must be a positive number' }] } });
  }
  return n;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration for a flag, in ms: a plain whole number is `plainUnit` (ms unless said),
 * else a number with a unit, or several (`500ms`, `5s`, `1.5m`, `2h`, `1d`, `1m30s`).
 */
export function duration(value: string | undefined, flag: string, plainUnit: 'ms' | 's' = 'ms'): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * UNIT_MS[plainUnit]!;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) {
    throw new BerthError('InvalidArgument', `${flag}: "${value}" is not a duration; use e.g. 500ms, 5s, 10m, 2h, 1d (a plain number is ${plainUnit === 'ms' ? 'milliseconds' : 'seconds'})`, {
      details: { problems: [{ path: flag, message: 'must be a duration' }] },
    });
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}

/** `--since`: a duration back from now (`90s`, `10m`, `2h`, `7d`) or a date (`2026-11-30T10:00Z`) → unix ms. */
export function sinceTime(value: string | undefined, flag: string, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(value)) return now - duration(value, flag)!;
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new BerthError('InvalidArgument', `${flag}: "${value}" is neither a duration (90s, 10m, 2h, 7d) nor a date (2026-11-30T10:00Z)`, {
      details: { problems: [{ path: flag, message: 'must be a duration or a date' }] },
    });
  }
  return t;
}

/**
 * `--secret-env K=V` / `--secret-env K` (the value of K in this process's environment) and
 * `--env-from-host PATTERN` (every variable of this process's environment matching the
 * glob, `BERTH_*` never) → the request's `secretEnv`. Says on stderr which names were taken.
 */
export function secretValues(items: string[] | undefined, patterns: string[] | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  if (!items?.length && !patterns?.length) return undefined;
  const out: Record<string, string> = patterns?.length ? takeHostEnv(patterns, env) : {};
  if (patterns?.length) process.stderr.write(`berth: took from your environment: ${Object.keys(out).sort().join(', ') || '(nothing matched)'}\n`);
  for (const item of items ?? []) {
    const i = item.indexOf('=');
    const name = i < 0 ? item : item.slice(0, i);
    const value = i < 0 ? env[name] : item.slice(i + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || value === undefined) {
      throw new BerthError('InvalidArgument', `--secret-env: "${name}" ${value === undefined ? 'is not set in your environment' : 'is not a variable name'}; give NAME (set in your environment) or NAME=VALUE`, {
        details: { problems: [{ path: '--secret-env', message: 'must be NAME or NAME=VALUE' }] },
      });
    }
    out[name] = value;
  }
  return out;
}
