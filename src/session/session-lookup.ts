import { BerthError } from '../common/errors.js';
import type { SessionRepository } from '../store/session-repository.js';
import { bindingOf, boundHere, otherEngine } from './engine-binding.js';
import type { EngineSide } from './engine-side.js';
import { TERMINAL_STATES, type Session } from './session.js';

/** The session with this id or name; `InvalidArgument` when none is given, `NotFound` when there is none. */
export function findSession(repo: SessionRepository, idOrName: string): Session {
  if (typeof idOrName !== 'string' || !idOrName) {
    throw new BerthError('InvalidArgument', 'a session id or name is required', { details: { problems: [{ path: 'session', message: 'is required' }] } });
  }
  const s = repo.find(idOrName);
  if (!s) throw new BerthError('NotFound', `no session "${idOrName}"; list them with \`berth ps -a\``, { details: { session: idOrName } });
  return s;
}

/** `Conflict` when the session has ended (its container is gone); `what` names the refused act. */
export function assertLive(s: Session, what: string): void {
  if (TERMINAL_STATES.has(s.state)) {
    throw new BerthError('Conflict', `cannot ${what} session ${s.name}: it is ${s.state}${s.endReason ? ` (${s.endReason})` : ''}`, {
      details: { state: s.state },
    });
  }
}

/** `Conflict` unless the session is running, with a hint to start it when it can be. */
export function assertRunning(s: Session): void {
  if (s.state !== 'running') {
    const hint = s.state === 'stopped' || s.state === 'paused' ? `; start it with \`berth start ${s.name}\`` : '';
    throw new BerthError('Conflict', `session ${s.name} is ${s.state}, not running${hint}`, { details: { state: s.state } });
  }
}

export function noEngine(): BerthError {
  return new BerthError(
    'EngineUnavailable',
    "berth has no container engine (Docker or Podman) here; start one (scripts/bootstrap-engines.sh), or ask for backend: 'local' (or configure fallback: 'local')",
  );
}

/** The engine side, or `EngineUnavailable` when berth runs without an engine. */
export function requireEngine(engine: EngineSide | undefined): EngineSide {
  if (!engine) throw noEngine();
  return engine;
}

/**
 * The engine side for an engine session: `EngineUnavailable` when berth has no engine, or
 * when the session belongs to another engine than the connected one (it is left alone).
 */
export function engineFor(s: Session, engine: EngineSide | undefined): EngineSide {
  const side = requireEngine(engine);
  const here = bindingOf(side.engine.info);
  if (!boundHere(s, here)) throw otherEngine(s, here);
  return side;
}
