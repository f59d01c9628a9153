import { LABELS } from '../common/labels.js';
import type { Logger } from '../common/logger.js';
import type { ContainerListItem, ContainerManager } from '../lifecycle/container-manager.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { SessionRepository } from '../store/session-repository.js';
import type { SessionManager } from './session-manager.js';
import { boundHere } from './engine-binding.js';
import { TERMINAL_STATES, type SessionState } from './session.js';

export interface ReconcileDeps {
  /** Absent when berth runs without an engine: only local sessions are checked. */
  containers?: ContainerManager;
  local: LocalBackend;
  /** Session networks of ended sessions that no container uses are removed (this instance's only). */
  networks?: NetworkManager;
  repo: SessionRepository;
  sessions: SessionManager;
  log: Logger;
  /** A labelled container without a live session is removed once it is older than this; default 60000 ms. */
  orphanGraceMs?: number;
  now?: () => number;
}

export interface ReconcileResult {
  adopted: string[];
  finished: string[];
  failed: string[];
  lost: string[];
  stateFixed: string[];
  orphansRemoved: string[];
  /** Names of session networks removed. */
  networksRemoved: string[];
  /** Live sessions of an engine berth is not connected to: left as they are. */
  elsewhere: string[];
  /** Sessions this process is creating right now: left to their creator. */
  inFlight: string[];
}

const LIVE: SessionState[] = ['creating', 'running', 'paused', 'stopped'];

function engineState(c: ContainerListItem): SessionState {
  if (c.state === 'running') return 'running';
  if (c.state === 'paused') return 'paused';
  return 'stopped';
}

/**
 * Brings the store in line with the engine, for this instance's containers only:
 * adopts running ones, finishes or rolls back `creating` rows, marks sessions whose
 * containers vanished `lost`, and removes orphans (labelled for this instance, no
 * live session) once they are older than the grace period.
 * Sessions of another engine (kind or endpoint) are left as they are, and so are their
 * containers; so are sessions this process is creating at the moment.
 */
export async function reconcile(d: ReconcileDeps): Promise<ReconcileResult> {
  const now = d.now ?? Date.now;
  const grace = d.orphanGraceMs ?? 60_000;
  const result: ReconcileResult = { adopted: [], finished: [], failed: [], lost: [], stateFixed: [], orphansRemoved: [], networksRemoved: [], elsewhere: [], inFlight: [] };
  const here = d.sessions.here();
  const all = d.repo.list({ states: LIVE, limit: 1_000_000 }).filter((s) => {
    if (d.sessions.isBeingCreated(s.id)) result.inFlight.push(s.id);
    else if (s.backend === 'engine' && !boundHere(s, here)) result.elsewhere.push(s.id);
    else return true;
    return false;
  });
  if (result.elsewhere.length) {
    d.log.warn(
      { sessions: result.elsewhere.length, connectedTo: here ?? 'no engine' },
      'live sessions belong to an engine berth is not connected to: left as they are until the daemon runs on that engine again',
    );
  }
  for (const s of all.filter((x) => x.backend === 'local')) {
    const dir = s.containerId ?? s.baseDir;
    if (d.local.exists(dir)) {
      if (s.state === 'creating') d.sessions.observe(s.id, 'running', 'creation finished after a daemon restart', ['creating']);
      (s.state === 'creating' ? result.finished : result.adopted).push(s.id);
    } else {
      d.sessions.observe(s.id, s.state === 'creating' ? 'failed' : 'lost', `its directory ${dir} is gone`, LIVE);
      (s.state === 'creating' ? result.failed : result.lost).push(s.id);
    }
  }
  if (!d.containers) return logged(d, result);
  const containerSessions = all.filter((x) => x.backend === 'engine');
  const containers = await d.containers.list({ all: true });
  const byName = new Map(containers.map((c) => [c.name, c]));
  const liveIds = new Set(containerSessions.map((s) => s.id));
  const keep = (sid: string): boolean => {
    if (liveIds.has(sid) || d.sessions.isBeingCreated(sid)) return true;
    const row = d.repo.get(sid);
    return row !== undefined && (!TERMINAL_STATES.has(row.state) || !boundHere(row, here));
  };

  for (const s of containerSessions) {
    const c = byName.get(s.containerName);
    if (c && !s.engineEndpoint && here) d.repo.bindEndpoint(s.id, here.endpoint);
    if (s.state === 'creating') {
      if (!c) {
        d.sessions.observe(s.id, 'failed', 'daemon stopped before the container was created', ['creating']);
        result.failed.push(s.id);
        continue;
      }
      d.repo.bindContainer(s.id, c.id);
      try {
        if (c.state !== 'running') await d.containers.handle({ id: c.id, name: c.name, tty: false }).start();
        d.sessions.observe(s.id, 'running', 'creation finished after a daemon restart', ['creating']);
        result.finished.push(s.id);
      } catch (err) {
        await d.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true }).catch(() => undefined);
        d.sessions.observe(s.id, 'failed', `creation could not be finished: ${(err as Error).message}`, ['creating']);
        result.failed.push(s.id);
      }
      continue;
    }
    if (!c) {
      d.sessions.observe(s.id, 'lost', 'its container is gone', LIVE);
      result.lost.push(s.id);
      continue;
    }
    if (!s.containerId) d.repo.bindContainer(s.id, c.id);
    const actual = engineState(c);
    if (actual !== s.state) {
      d.sessions.observe(s.id, actual, `engine reports ${c.state}`, LIVE);
      result.stateFixed.push(s.id);
    } else {
      result.adopted.push(s.id);
    }
  }

  for (const c of containers) {
    const sid = c.labels[LABELS.session];
    if (sid && keep(sid)) continue;
    if (now() - c.created * 1000 < grace) continue;
    await d.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true, volumes: true }).catch(() => undefined);
    result.orphansRemoved.push(c.name);
  }
  if (d.networks) result.networksRemoved = (await d.networks.releaseSessionNetworks()).removed;
  return logged(d, result);
}

function logged(d: ReconcileDeps, result: ReconcileResult): ReconcileResult {
  const changed = result.finished.length + result.failed.length + result.lost.length + result.stateFixed.length + result.orphansRemoved.length + result.networksRemoved.length;
  d.log.info({ ...Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.length])) }, changed ? 'reconciled with changes' : 'reconciled');
  return result;
}
