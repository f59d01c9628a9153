import type Docker from 'dockerode';
import { BerthError } from '../common/errors.js';
import { collectCandidates, normaliseEndpoint, type CandidateContext, type CandidateStrategy } from './candidates.js';
import { probeCandidate } from './probe.js';
import type { EngineCandidate, EngineHostInfo, EngineInfo, EngineKind } from './types.js';

export interface DetectOptions {
  /** `auto` (default) takes the first engine that answers; a kind takes the first of that kind. */
  engine?: EngineKind | 'auto';
  /** An explicit socket path or URL; tried before anything else. */
  socketPath?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Replaces the default strategies (tests). */
  strategies?: readonly CandidateStrategy[];
  /** Per-candidate ping timeout in ms; default 2000. */
  timeoutMs?: number;
}

export interface DetectResult {
  info: EngineInfo;
  host: EngineHostInfo;
  docker: Docker;
  /** Every place tried, in order, and what it said. */
  tried: Array<{ candidate: EngineCandidate; outcome: string }>;
}

/**
 * Finds a container engine: the explicit socket, then the strategies in order.
 * Throws `EngineUnavailable` listing every place tried when none (of the asked kind) answers.
 */
export async function detectEngine(options: DetectOptions = {}): Promise<DetectResult> {
  const want = options.engine ?? 'auto';
  const ctx: CandidateContext = { env: options.env ?? process.env };
  const candidates: EngineCandidate[] = options.socketPath
    ? [{ source: 'option', endpoint: normaliseEndpoint(options.socketPath) }]
    : collectCandidates(ctx, options.strategies);
  const tried: DetectResult['tried'] = [];
  for (const candidate of candidates) {
    const r = await probeCandidate(candidate, options.timeoutMs);
    if (!r.ok) {
      tried.push({ candidate, outcome: r.reason });
      continue;
    }
    if (want !== 'auto' && r.info.kind !== want) {
      tried.push({ candidate, outcome: `answers, but is ${r.info.kind} ${r.info.version}` });
      continue;
    }
    tried.push({ candidate, outcome: `${r.info.kind} ${r.info.version}` });
    return { info: r.info, host: r.host, docker: r.docker, tried };
  }
  const list = tried.map((t) => `${t.candidate.endpoint} (${t.candidate.source}): ${t.outcome}`).join('; ');
  const kind = want === 'auto' ? 'no container engine' : `no ${want} engine`;
  throw new BerthError(
    'EngineUnavailable',
    `${kind} answered. Tried: ${list || 'nothing'}. Start one with scripts/bootstrap-engines.sh, or point BERTH_ENGINE_HOST at its socket.`,
    { details: { tried: tried.map((t) => ({ ...t.candidate, outcome: t.outcome })) } },
  );
}
