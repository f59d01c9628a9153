import { z } from 'zod';
import type { Session } from '../session/session.js';

/** What tools and resources show of a session (the full spec stays behind the HTTP API). */
export const sessionSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().describe('creating, running, paused, stopped, ended, failed or lost'),
  backend: z.string().describe('engine (a container) or local (a host directory, no isolation)'),
  engine: z.string(),
  image: z.string(),
  baseDir: z.string().describe('relative file paths resolve here'),
  network: z.string(),
  memory: z.union([z.string(), z.number()]).optional(),
  cpus: z.number().optional(),
  labels: z.record(z.string(), z.string()),
  secretEnv: z.array(z.string()).describe('names of the secret environment variables (values never shown)'),
  createdAt: z.string(),
  lastActiveAt: z.string(),
  ttlMs: z.number().optional(),
  idleTimeoutMs: z.number().optional(),
  forkedFrom: z.string().optional(),
  endedAt: z.string().optional(),
  endReason: z.string().optional(),
});

export type SessionSummary = z.infer<typeof sessionSummarySchema>;

export function sessionSummary(s: Session): SessionSummary {
  return {
    id: s.id,
    name: s.name,
    state: s.state,
    backend: s.backend,
    engine: s.engine,
    image: s.spec.image,
    baseDir: s.baseDir,
    network: s.spec.network ?? 'none',
    ...(s.spec.memory !== undefined ? { memory: s.spec.memory } : {}),
    ...(s.spec.cpus !== undefined ? { cpus: s.spec.cpus } : {}),
    labels: s.labels,
    secretEnv: s.secretEnv ?? [],
    createdAt: s.createdAt,
    lastActiveAt: s.lastActiveAt,
    ...(s.ttlMs !== undefined ? { ttlMs: s.ttlMs } : {}),
    ...(s.idleTimeoutMs !== undefined ? { idleTimeoutMs: s.idleTimeoutMs } : {}),
    ...(s.forkedFrom !== undefined ? { forkedFrom: s.forkedFrom } : {}),
    ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
    ...(s.endReason !== undefined ? { endReason: s.endReason } : {}),
  };
}
