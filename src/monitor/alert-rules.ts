import { z } from 'zod';

/** Thresholds and how long they must hold. Defaults: CPU > 95 % for 60 s, memory > 90 % of the limit for 30 s. */
export interface AlertRules {
  /** % of one core. */
  cpuPercent: number;
  cpuForMs: number;
  /** % of the memory limit. */
  memoryPercent: number;
  memoryForMs: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = { cpuPercent: 95, cpuForMs: 60_000, memoryPercent: 90, memoryForMs: 30_000 };

export const alertRulesSchema = z.strictObject({
  cpuPercent: z.number().positive().optional(),
  cpuForMs: z.number().int().min(0).optional(),
  memoryPercent: z.number().positive().max(100).optional(),
  memoryForMs: z.number().int().min(0).optional(),
});
