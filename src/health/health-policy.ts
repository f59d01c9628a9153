import { z } from 'zod';

/** What berth does when a session's health check fails. Default: nothing but report. */
export interface HealthPolicy {
  /** Restart the container when it turns unhealthy; default false. */
  restartOnUnhealthy?: boolean;
  /** After this many restarts the session is marked failed and its container stopped; default 3. */
  maxRestarts?: number;
  /** Wait before the first restart, ms, doubling each time (max 5 min); default 1000. */
  backoffMs?: number;
}

export const healthPolicySchema = z.strictObject({
  restartOnUnhealthy: z.boolean().optional(),
  maxRestarts: z.number().int().min(0).max(100).optional(),
  backoffMs: z.number().int().min(0).max(300_000).optional(),
});

export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** A session's health as `berth health` shows it. */
export interface HealthReport {
  sessionId: string;
  status: HealthStatus;
  /** Who runs the check: the engine (Docker), or berth through exec (Podman). */
  checkedBy: 'engine' | 'berth' | 'none';
  failingStreak: number;
  lastOutput?: string;
  lastCheckAt?: string;
  policy: HealthPolicy;
  restarts: Array<{ at: string; attempt: number; reason: string }>;
  changes: Array<{ at: string; status: HealthStatus; output: string }>;
}
