import { z } from 'zod';
import { invalidArgument } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';

/** Parses request input with a zod schema; `InvalidArgument` with every field problem otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = z.safeParse(schema, value);
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), what);
  return r.data;
}

/** A query flag: `true`/`1` is on. */
export const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';

/** `label=key=value` query items → a record; `InvalidArgument` on an item without `=`. */
export function labelsFrom(raw: string | string[] | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const i = item.indexOf('=');
    if (i < 1) throw invalidArgument([{ path: 'label', message: `"${item}" is not key=value` }], 'query');
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}
