import { Berth } from '../berth.js';
import type { Logger } from '../common/logger.js';
import type { EngineKind } from '../engine/types.js';
import { AlertManager } from '../monitor/alert-manager.js';
import { Sampler } from '../monitor/sampler.js';
import { inProcessBackend, type McpBackend } from './mcp-backend.js';

/** Sampling and TTL/idle sweeps of the in-process server, ms (the daemon's defaults). */
const SAMPLE_INTERVAL_MS = 5000;
const SWEEP_INTERVAL_MS = 5000;

export interface InProcessMcp {
  readonly backend: McpBackend;
  readonly berth: Berth;
  /** Ends every live session (nothing else could reach them later), stops sampling, closes berth. */
  close(): Promise<void>;
}

/**
 * berth in-process for `berth mcp` without a daemon: an engine connection and an
 * in-memory store, a sampler (for `session_stats`) and the TTL/idle sweep. Sessions last
 * as long as this object.
 */
export async function startInProcess(o: { engine: EngineKind | 'auto'; log: Logger }): Promise<InProcessMcp> {
  const berth = await Berth.connect({ engine: o.engine, logger: o.log });
  const sampler = new Sampler({
    engine: berth.engineClient,
    sessions: berth.repo,
    store: berth.monitor,
    alerts: new AlertManager(berth.monitor, berth.events, o.log),
    log: o.log,
    intervalMs: SAMPLE_INTERVAL_MS,
  });
  sampler.start();
  const sweeper = setInterval(() => void berth.sessions.sweep().catch((err: unknown) => o.log.warn({ err }, 'sweep failed')), SWEEP_INTERVAL_MS);
  sweeper.unref();
  let closing: Promise<void> | undefined;
  const close = async () => {
    clearInterval(sweeper);
    await sampler.stop();
    const live = await berth.sessions.list();
    await Promise.all(live.map((s) => berth.sessions.remove(s.id).catch((err: unknown) => o.log.warn({ err, sessionId: s.id }, 'could not end session'))));
    await berth.close();
  };
  return { backend: inProcessBackend(berth), berth, close: () => (closing ??= close()) };
}
