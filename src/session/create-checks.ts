import { totalmem } from 'node:os';
import { BerthError, invalidArgument } from '../common/errors.js';
import { normalisePolicy } from '../network/network-policy.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { parseSize } from '../spec/size.js';
import { isSessionVolumeName } from '../volume/session-volumes.js';
import type { CreateSessionRequest } from './create-request.js';

/**
 * What a request may not ask of the local backend (host processes in a directory):
 * `PolicyDenied` for the strict profile, `InvalidArgument` listing every other field.
 */
export function assertLocalRequest(request: CreateSessionRequest): void {
  if (request.security === 'strict') {
    throw new BerthError('PolicyDenied', 'the strict profile needs the engine backend: the local backend runs host processes with no isolation', {
      details: { problems: [{ path: 'security', message: 'strict is not available on the local backend' }] },
    });
  }
  const problems = [
    ...(request.baseDir !== undefined ? [{ path: 'baseDir', message: "is the sandbox's own directory on the local backend; leave it unset" }] : []),
    ...(request.confine === false ? [{ path: 'confine', message: 'cannot be turned off on the local backend' }] : []),
    ...(request.volumes !== undefined ? [{ path: 'volumes', message: 'need a container engine; the local backend has none' }] : []),
    ...(request.network !== undefined && normalisePolicy(request.network).policy !== 'none'
      ? [{ path: 'network', message: 'the local backend has no network isolation; only none applies (use the engine backend)' }]
      : []),
    ...(request.removeOnExit ? [{ path: 'removeOnExit', message: 'needs a main process; the local backend has none (use the engine backend)' }] : []),
    ...(request.variant !== undefined ? [{ path: 'variant', message: 'is an image; the local backend runs host processes (use the engine backend)' }] : []),
  ];
  if (problems.length) throw invalidArgument(problems, 'session request');
}

/**
 * What the engine backend refuses before anything is made (`PolicyDenied`): a request's
 * own mounts naming berth's session volumes (another session's workspace or logs; caches
 * come through `volumes.caches`), and a workspace volume under strict (root-owned, while
 * strict runs as a non-root user).
 */
export function assertEngineRequest(request: CreateSessionRequest, spec: ContainerSpec): void {
  const bad = (spec.mounts ?? []).map((m, i) => ({ m, i })).filter(({ m }) => m.type === 'volume' && isSessionVolumeName(m.source ?? ''));
  if (bad.length) {
    throw new BerthError('PolicyDenied', `mounts name berth's session volumes (${bad.map(({ m }) => m.source).join(', ')}); a session gets its own through the volumes field`, {
      details: { problems: bad.map(({ i }) => ({ path: `mounts.${i}.source`, message: 'session-volume: belongs to a session' })) },
    });
  }
  if (request.security === 'strict' && request.volumes?.workspace?.type === 'volume') {
    throw new BerthError('PolicyDenied', 'the strict profile runs as a non-root user, and a workspace volume is root-owned; use volumes.workspace { type: "tmpfs", size }', {
      details: { problems: [{ path: 'volumes.workspace', message: 'a volume workspace is not writable under strict' }] },
    });
  }
}

/**
 * A memory limit above the host's memory is refused (`InvalidArgument`): the engine
 * accepts it and it limits nothing. The engine runs on this host (local socket).
 */
export function assertMemoryFits(spec: ContainerSpec, hostBytes: number = totalmem()): void {
  const asked = spec.memory === undefined ? undefined : parseSize(spec.memory);
  if (asked === undefined || asked <= hostBytes) return;
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  throw invalidArgument([{ path: 'memory', message: `${gib(asked)} is more than this host's ${gib(hostBytes)} of memory; ask for less (e.g. 512m)` }], 'session request');
}
