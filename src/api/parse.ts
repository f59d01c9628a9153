import type { z } from 'zod';
import { invalidArgument } from '../common/errors.js';
import { problemsFromZod } from '../spec/validate.js';

/** Parses request input with a zod schema; `InvalidArgument` with every field problem otherwise. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), what);
  return r.data;
}

/** A query flag: `true`/`1` is on. */
export const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';
