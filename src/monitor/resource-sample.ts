import type { RawCounters } from '../engine/stats.js';

/** One sample of a session's container, as stored and served. */
export interface ResourceSample {
  sessionId: string;
  /** ISO time. */
  at: string;
  /** % of one core over the last interval (can exceed 100 with more cores). */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** memoryBytes / memoryLimitBytes × 100; 0 when unlimited. */
  memoryPercent: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
  /** `cgroup` (files read directly) or `api` (the engine's stats endpoint). */
  source: 'cgroup' | 'api';
}

/** CPU % of one core between two readings `ms` apart. */
export function cpuPercent(prev: RawCounters | undefined, cur: RawCounters, ms: number): number {
  if (!prev || ms <= 0 || cur.cpuNs < prev.cpuNs) return 0;
  return Math.round(((cur.cpuNs - prev.cpuNs) / (ms * 1e6)) * 10000) / 100;
}
