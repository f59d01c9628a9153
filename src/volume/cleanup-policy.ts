import { z } from 'zod';
import type { VolumeKind, VolumeRecord } from './volume.js';

/** When gc removes volumes. Each rule is off when absent or 0; volumes in use are never removed. */
export interface CleanupPolicy {
  /** Remove a session's workspace and logs volumes when it ends (caches stay). Default true. */
  onSessionEnd: boolean;
  /** Remove volumes not used (mounted) for this many ms. Default 7 days. */
  unusedForMs?: number;
  /** Remove volumes created more than this many ms ago. Default off. */
  olderThanMs?: number;
  /** Keep the total measured size at most this many bytes, removing the longest unused first. Default off. */
  maxTotalBytes?: number;
}

/** 7 days. */
export const DEFAULT_UNUSED_FOR_MS = 7 * 86_400_000;

export const DEFAULT_CLEANUP_POLICY: Readonly<CleanupPolicy> = { onSessionEnd: true, unusedForMs: DEFAULT_UNUSED_FOR_MS };

export const cleanupPolicySchema = z.strictObject({
  onSessionEnd: z.boolean().optional(),
  unusedForMs: z.number().int().min(0).optional(),
  olderThanMs: z.number().int().min(0).optional(),
  maxTotalBytes: z.number().int().min(0).optional(),
});

/** Why gc chose a volume. */
export type GcReason = 'session-ended' | 'unused' | 'older-than' | 'over-budget';

export interface GcCandidate {
  name: string;
  kind: VolumeKind;
  reason: GcReason;
  /** Bytes as last measured; absent when unknown. */
  sizeBytes?: number;
  ownerSessionId?: string;
  /** unix ms */
  lastUsedAt: number;
}

export interface PlanInput {
  volumes: readonly VolumeRecord[];
  /** Names of volumes some container mounts (running or not). */
  inUse: ReadonlySet<string>;
  /** Whether a session still lives (not ended, failed or lost); its workspace/logs are kept while it does. */
  sessionLive: (sessionId: string) => boolean;
  policy: CleanupPolicy;
  /** unix ms */
  now: number;
}

/**
 * What gc would remove and why: a pure function of the registry rows, the in-use set and
 * the clock. Rules in order (first match gives the reason): the owning session ended,
 * unused for too long, too old; then, while the total measured size of the volumes kept is
 * over the budget, the longest unused of the rest (ties: oldest created, then name).
 * A volume in use is never chosen.
 */
export function planGc(input: PlanInput): GcCandidate[] {
  const { policy, now } = input;
  const chosen: GcCandidate[] = [];
  const kept: VolumeRecord[] = [];
  const pick = (v: VolumeRecord, reason: GcReason) =>
    chosen.push({
      name: v.name,
      kind: v.kind,
      reason,
      ...(v.sizeBytes !== undefined ? { sizeBytes: v.sizeBytes } : {}),
      ...(v.ownerSessionId ? { ownerSessionId: v.ownerSessionId } : {}),
      lastUsedAt: v.lastUsedAt,
    });
  for (const v of input.volumes) {
    if (input.inUse.has(v.name)) continue;
    if (policy.onSessionEnd && v.ownerSessionId && v.kind !== 'cache' && !input.sessionLive(v.ownerSessionId)) pick(v, 'session-ended');
    else if (policy.unusedForMs && now - v.lastUsedAt >= policy.unusedForMs) pick(v, 'unused');
    else if (policy.olderThanMs && now - v.createdAt >= policy.olderThanMs) pick(v, 'older-than');
    else kept.push(v);
  }
  if (policy.maxTotalBytes) {
    const chosenNames = new Set(chosen.map((c) => c.name));
    let total = input.volumes.filter((v) => !chosenNames.has(v.name)).reduce((sum, v) => sum + (v.sizeBytes ?? 0), 0);
    const order = [...kept].sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.createdAt - b.createdAt || a.name.localeCompare(b.name));
    for (const v of order) {
      if (total <= policy.maxTotalBytes) break;
      if (!v.sizeBytes) continue;
      pick(v, 'over-budget');
      total -= v.sizeBytes;
    }
  }
  return chosen;
}
