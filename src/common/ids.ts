import { randomBytes } from 'node:crypto';

/** A short random id, lowercase hex; `bytes` default 6 (12 characters). */
export function randomId(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}
