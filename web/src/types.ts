/** The API's shapes the dashboard reads (a subset of src/ types; JSON over the wire). */
export interface Session {
  id: string;
  name: string;
  state: string;
  template?: string;
  spec: { image: string; network?: string; resources?: { memoryBytes?: number; nanoCpus?: number }; labels?: Record<string, string> };
  labels: Record<string, string>;
  engine: string;
  backend: string;
  createdAt: string;
  lastActiveAt: string;
  endedAt?: string;
  endReason?: string;
  forkedFrom?: string;
}

export interface Sample {
  sessionId: string;
  at: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  memoryPercent: number;
  netRxBytes: number;
  netTxBytes: number;
  pids: number;
}

export interface Alert {
  id?: number | string;
  sessionId: string;
  kind?: string;
  rule?: string;
  message?: string;
  state: string;
  firedAt?: string;
  resolvedAt?: string;
  [k: string]: unknown;
}
