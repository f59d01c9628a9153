import type { InspectInfo } from '../engine/engine.js';
import { canonicalImageName } from '../engine/quirks.js';
import { plainName } from '../engine/names.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | 'unknown';

/** A container as `inspect` sees it: the fields berth relies on, typed. */
export interface ContainerState {
  id: string;
  name: string;
  image: string;
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  /** Exit code of the last run; 0 while it has never exited. */
  exitCode: number;
  oomKilled: boolean;
  /** Host pid of the container's PID 1; 0 when not running. */
  pid: number;
  /** ISO times; undefined when never started / never finished. */
  startedAt?: string;
  finishedAt?: string;
  /** Health status when the container has a healthcheck. */
  health?: string;
  labels: Record<string, string>;
}

const STATUSES = new Set<ContainerStatus>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
/** Engines say 0001-01-01T00:00:00Z for "never". */
const never = (t: string | undefined) => (!t || t.startsWith('0001-') ? undefined : t);

export function stateFromInspect(info: InspectInfo): ContainerState {
  const s = info.State;
  const status = (STATUSES.has(s.Status as ContainerStatus) ? s.Status : 'unknown') as ContainerStatus;
  const startedAt = never(s.StartedAt);
  const finishedAt = never(s.FinishedAt);
  return {
    id: info.Id,
    name: plainName(info.Name),
    image: canonicalImageName(info.Config.Image),
    status,
    running: s.Running,
    paused: s.Paused,
    exitCode: s.ExitCode,
    oomKilled: s.OOMKilled,
    pid: s.Pid,
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(s.Health?.Status ? { health: s.Health.Status } : {}),
    labels: info.Config.Labels ?? {},
  };
}
