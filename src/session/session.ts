import type { ContainerSpec } from '../spec/container-spec.js';
import type { HealthPolicy } from '../health/health-policy.js';
import type { AlertRules } from '../monitor/alert-rules.js';
import type { Backend } from './sandbox.js';
import type { ExecPath } from '../agent/agent-hub.js';

/**
 * `creating → running ⇄ paused / stopped → ended`; `failed` when creation did not
 * finish, `lost` when the container vanished behind berth's back.
 */
export type SessionState = 'creating' | 'running' | 'paused' | 'stopped' | 'ended' | 'failed' | 'lost';

export const SESSION_STATES: readonly SessionState[] = ['creating', 'running', 'paused', 'stopped', 'ended', 'failed', 'lost'];

/** States after which nothing more happens to a session. */
export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set(['ended', 'failed', 'lost']);

/** A session as the API returns it. Times are ISO strings. */
export interface Session {
  id: string;
  name: string;
  state: SessionState;
  template?: string;
  spec: ContainerSpec;
  labels: Record<string, string>;
  /** `docker` or `podman`, or `local` for the local backend. */
  engine: string;
  /** Where its engine answered when it was created (a socket's real path or a URL); absent on the local backend and for sessions made before it was kept. */
  engineEndpoint?: string;
  /**
   * True when the session lives on an engine berth is not connected to now: it is left as
   * it is (container untouched, state as last seen) and comes back when that engine does.
   */
  unreachable?: boolean;
  /** `local`: the session is a host directory with host processes (no isolation); else a container. */
  backend: Backend;
  containerName: string;
  /** The container's id; on the local backend, the sandbox's host directory. */
  containerId?: string;
  /** ms from creation after which the session is ended; absent: none. */
  ttlMs?: number;
  /** ms without exec after which the session is ended; absent: none. */
  idleTimeoutMs?: number;
  /** The sandbox's base dir: relative file paths resolve here; created on start. */
  baseDir: string;
  /** File paths outside `baseDir` are refused (PolicyDenied). */
  confine: boolean;
  /** Defaults for later execs (`setWorkdir`, `withEnv`). */
  execDefaults: ExecDefaults;
  /** What happens when the health check fails (restart with backoff, up to a limit). */
  healthPolicy: HealthPolicy;
  /** Overrides of the alert rules for this session (see `DEFAULT_ALERT_RULES`). */
  alertRules: Partial<AlertRules>;
  /** The session this one was forked from. */
  forkedFrom?: string;
  /** The snapshot image this session runs (removed when no session uses it). */
  snapshotImage?: string;
  /**
   * Names of the variables whose values are secret (`secretEnv`, `envFromHost`, or a name
   * matching the configured patterns): `spec.env` and `execDefaults.env` show `***` for them.
   */
  secretEnv: string[];
  /** What `envFromHost` asked for and which names it took (values never shown). */
  envFromHost?: { patterns: string[]; taken: string[] };
  createdAt: string;
  lastActiveAt: string;
  endedAt?: string;
  endReason?: string;
  /** How execs reach a live engine session now: its agent, or engine exec (with why). Not stored. */
  execPath?: ExecPath;
}

export interface ExecDefaults {
  workdir?: string;
  env?: Record<string, string>;
}

export interface SessionEvent {
  at: string;
  from?: SessionState;
  to: SessionState;
  reason: string;
}

export interface ExecRecord {
  at: string;
  cmd: string[];
  exitCode: number;
  durationMs: number;
  bytesOut: number;
  timedOut: boolean;
}

/** The container name for a session: derived from its id, so a retry can never make a second one. */
export function containerNameFor(sessionId: string): string {
  return `berth-${sessionId}`;
}
