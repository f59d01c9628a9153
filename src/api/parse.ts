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
