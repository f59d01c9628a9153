import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EngineCandidate } from './types.js';

/** The socket `scripts/bootstrap-engines.sh` starts Podman on. */
export const BOOTSTRAP_PODMAN_SOCKET = '/run/podman/podman.sock';

export interface CandidateContext {
  env: NodeJS.ProcessEnv;
  /** Home directory, for the Docker CLI's contexts. Default `os.homedir()`. */
  home?: string;
}

/** One detection strategy: small, pure apart from reading files, testable alone. */
export type CandidateStrategy = (ctx: CandidateContext) => EngineCandidate[];

const ENV_VARS = ['BERTH_ENGINE_HOST', 'DOCKER_HOST', 'CONTAINER_HOST'] as const;

export const fromEnv: CandidateStrategy = ({ env }) =>
  ENV_VARS.flatMap((name) => {
    const value = env[name];
    return value ? [{ source: `env:${name}`, endpoint: value }] : [];
  });

export const wellKnownDocker: CandidateStrategy = () => [
  { source: 'well-known:docker', endpoint: '/var/run/docker.sock' },
];

export const wellKnownPodman: CandidateStrategy = ({ env }) => {
  const out: EngineCandidate[] = [{ source: 'well-known:podman-rootful', endpoint: '/run/podman/podman.sock' }];
  if (env.XDG_RUNTIME_DIR) {
    out.push({ source: 'well-known:podman-rootless', endpoint: join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock') });
  }
  return out;
};

export const bootstrapSocket: CandidateStrategy = () => [
  { source: 'bootstrap:podman', endpoint: BOOTSTRAP_PODMAN_SOCKET },
];

/** The Docker CLI's current context (`~/.docker/config.json` → `contexts/meta/*\/meta.json`). */
export const dockerCliContext: CandidateStrategy = ({ env, home }) => {
  const configDir = env.DOCKER_CONFIG ?? join(home ?? homedir(), '.docker');
  try {
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: string };
    const current = env.DOCKER_CONTEXT ?? config.currentContext;
    if (!current || current === 'default') return [];
    const metaDir = join(configDir, 'contexts', 'meta');
    if (!existsSync(metaDir)) return [];
    for (const dir of readdirSync(metaDir)) {
      const meta = JSON.parse(readFileSync(join(metaDir, dir, 'meta.json'), 'utf8')) as {
        Name?: string;
        Endpoints?: { docker?: { Host?: string } };
      };
      const host = meta.Endpoints?.docker?.Host;
      if (meta.Name === current && host) return [{ source: `docker-context:${current}`, endpoint: host }];
    }
  } catch {
    return [];
  }
  return [];
};

/** The default order: env, CLI context, Docker's socket, Podman's sockets, the bootstrap socket. */
export const DEFAULT_STRATEGIES: readonly CandidateStrategy[] = [
  fromEnv,
  dockerCliContext,
  wellKnownDocker,
  wellKnownPodman,
  bootstrapSocket,
];

/** Runs the strategies in order and drops repeated endpoints, keeping the first. */
export function collectCandidates(
  ctx: CandidateContext,
  strategies: readonly CandidateStrategy[] = DEFAULT_STRATEGIES,
): EngineCandidate[] {
  const seen = new Set<string>();
  const out: EngineCandidate[] = [];
  for (const strategy of strategies) {
    for (const c of strategy(ctx)) {
      const key = normaliseEndpoint(c.endpoint);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...c, endpoint: key });
    }
  }
  return out;
}

/** `unix:///x.sock` → `/x.sock`; other forms unchanged. */
export function normaliseEndpoint(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
}
