import { z } from 'zod';

/** Bytes kept of each text field of an audit row (action, target, actor, result, peer, request id). */
export const AUDIT_FIELD_BYTES = 256;

export const auditLimitsSchema = z.strictObject({
  /** Rows kept; the oldest go first. Default 100000. */
  maxRows: z.number().int().positive().optional(),
  /** Rows older than this are removed, ms. Default 90 days. */
  maxAgeMs: z.number().int().positive().optional(),
  /**
   * Refused (401) requests recorded per minute on a TCP listener; past it they are only
   * counted, and one row per minute says how many were left out. Default 60.
   */
  unauthenticatedPerMinute: z.number().int().min(0).optional(),
  /** How often retention runs, ms. Default 600000 (10 min). */
  pruneIntervalMs: z.number().int().min(1000).optional(),
});

export type AuditLimitsInput = z.infer<typeof auditLimitsSchema>;
export type AuditLimits = Required<AuditLimitsInput>;

export const DEFAULT_AUDIT_LIMITS: AuditLimits = {
  maxRows: 100_000,
  maxAgeMs: 90 * 86_400_000,
  unauthenticatedPerMinute: 60,
  pruneIntervalMs: 600_000,
};

/** The limits with defaults filled. */
export function auditLimits(input: AuditLimitsInput = {}): AuditLimits {
  return { ...DEFAULT_AUDIT_LIMITS, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
}

/** `text` cut to at most `max` UTF-8 bytes (on a character boundary), with `…` when cut. */
export function clip(text: string, max = AUDIT_FIELD_BYTES): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = Buffer.from(text).subarray(0, max - 3).toString('utf8');
  if (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return `${out}…`;
}
