import { realpathSync } from 'node:fs';
import { BerthError } from '../common/errors.js';
import type { EngineInfo } from '../engine/types.js';
import type { Session } from './session.js';

/** The engine a session belongs to: its kind and where it answers. */
export interface EngineBinding {
  /** `docker` or `podman`. */
  kind: string;
  /** A unix socket's real path (`/var/run/docker.sock` and `/run/docker.sock` are one), or the `tcp://` URL. */
  endpoint: string;
}

const known = new WeakMap<object, EngineBinding>();

/** The binding of the engine berth is connected to (worked out once per `info`). */
export function bindingOf(info: Pick<EngineInfo, 'kind' | 'socketPath'>): EngineBinding {
  const b = known.get(info) ?? resolveBinding(info);
  known.set(info, b);
  return b;
}

function resolveBinding(info: Pick<EngineInfo, 'kind' | 'socketPath'>): EngineBinding {
  const raw = info.socketPath.replace(/^unix:\/\//, '');
  let endpoint = raw;
  if (raw.startsWith('/')) {
    try {
      endpoint = realpathSync(raw);
    } catch {
      endpoint = raw;
    }
  }
  return { kind: info.kind, endpoint };
}

/**
 * True when an engine session belongs to the engine `here` (same kind, and the same
 * endpoint when the session recorded one: sessions made before endpoints were kept go to
 * any engine of their kind). Local sessions belong to no engine.
 */
export function boundHere(s: Pick<Session, 'backend' | 'engine' | 'engineEndpoint'>, here: EngineBinding | undefined): boolean {
  if (s.backend === 'local' || !here) return false;
  return s.engine === here.kind && (s.engineEndpoint === undefined || s.engineEndpoint === here.endpoint);
}

/** `EngineUnavailable` for a session that lives on an engine berth is not connected to now. */
export function otherEngine(s: Pick<Session, 'name' | 'engine' | 'engineEndpoint'>, here: EngineBinding | undefined): BerthError {
  const where = `${s.engine}${s.engineEndpoint ? ` at ${s.engineEndpoint}` : ''}`;
  return new BerthError(
    'EngineUnavailable',
    `session ${s.name} lives on ${where}, and this berth is connected to ${here ? `${here.kind} at ${here.endpoint}` : 'no engine'}; ` +
      `start the daemon on that engine (berth daemon --engine ${s.engine}) to use it. Its container is left as it is.`,
    { details: { session: s.name, engine: s.engine, ...(s.engineEndpoint ? { endpoint: s.engineEndpoint } : {}) } },
  );
}
