import { isAbsolute, resolve } from 'node:path';
import { BerthError } from '../common/errors.js';
import type { HealthcheckSpec, MountSpec, PortSpec } from '../spec/container-spec.js';
import { duration } from './parse.js';

const bad = (flag: string, value: string, want: string): BerthError =>
  new BerthError('InvalidArgument', `${flag}: "${value}" is not ${want}`, { details: { problems: [{ path: flag, message: `must be ${want}` }] } });

/**
 * `-v SRC:DST[:ro|rw]` as docker's: SRC a host path (absolute, or `./…` relative to the
 * current directory) makes a bind mount, else a volume name. Mount policy applies in the daemon.
 */
export function volumeFlag(value: string): MountSpec {
  const parts = value.split(':');
  const mode = parts.length === 3 ? parts[2] : undefined;
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw bad('--volume', value, 'SOURCE:TARGET[:ro|rw]');
  }
  const [source, target] = parts as [string, string];
  const hostPath = isAbsolute(source) || source.startsWith('.');
  return {
    type: hostPath ? 'bind' : 'volume',
    source: hostPath ? resolve(source) : source,
    target,
    ...(mode ? { readOnly: mode === 'ro' } : {}),
  };
}

/** `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly]` as docker's. */
export function mountFlag(value: string): MountSpec {
  const kv: Record<string, string> = {};
  for (const item of value.split(',')) {
    const i = item.indexOf('=');
    kv[(i < 0 ? item : item.slice(0, i)).trim().toLowerCase()] = i < 0 ? 'true' : item.slice(i + 1);
  }
  const type = (kv.type ?? 'volume') as MountSpec['type'];
  const source = kv.source ?? kv.src;
  const target = kv.target ?? kv.destination ?? kv.dst;
  if (!['bind', 'volume', 'tmpfs'].includes(type) || !target || (type !== 'tmpfs' && !source)) {
    throw bad('--mount', value, 'type=bind|volume|tmpfs,source=…,target=…[,readonly]');
  }
  const ro = kv.readonly ?? kv.ro;
  return {
    type,
    ...(source ? { source: type === 'bind' ? resolve(source) : source } : {}),
    target,
    ...(ro !== undefined ? { readOnly: ro !== 'false' && ro !== '0' } : {}),
  };
}

/** `-p [IP:][HOST:]CONTAINER[/tcp|udp]`; binds to 127.0.0.1 unless an IP is given. */
export function publishFlag(value: string): PortSpec {
  const m = value.match(/^(?:(\[[0-9a-fA-F:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d*):)?(\d+)(?:\/(tcp|udp))?$/);
  if (!m) throw bad('--publish', value, '[IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]');
  const port = (s: string | undefined) => (s ? Number(s) : undefined);
  const containerPort = Number(m[3]);
  const hostPort = port(m[2]);
  if (containerPort < 1 || containerPort > 65535 || (hostPort !== undefined && hostPort > 65535)) throw bad('--publish', value, 'a port between 1 and 65535');
  return {
    containerPort,
    ...(hostPort ? { hostPort } : {}),
    hostIp: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1',
    ...(m[4] ? { protocol: m[4] as 'tcp' | 'udp' } : {}),
  };
}

export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
}

/** `--health-cmd` (a shell command, run with `sh -c`, as docker's) and its friends; durations take units (plain: ms). */
export function healthFlags(o: HealthFlags): HealthcheckSpec | undefined {
  if (o.healthCmd === undefined) {
    if (o.healthInterval ?? o.healthTimeout ?? o.healthRetries ?? o.healthStartPeriod) {
      throw new BerthError('InvalidArgument', '--health-interval, --health-timeout, --health-retries and --health-start-period need --health-cmd', {
        details: { problems: [{ path: '--health-cmd', message: 'is required with the other --health-* flags' }] },
      });
    }
    return undefined;
  }
  const intervalMs = duration(o.healthInterval, '--health-interval');
  const timeoutMs = duration(o.healthTimeout, '--health-timeout');
  const startPeriodMs = duration(o.healthStartPeriod, '--health-start-period');
  const retries = o.healthRetries === undefined ? undefined : Number(o.healthRetries);
  if (retries !== undefined && (!Number.isSafeInteger(retries) || retries < 1)) throw bad('--health-retries', String(o.healthRetries), 'a whole number of at least 1');
  return {
    cmd: ['sh', '-c', o.healthCmd],
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(retries !== undefined ? { retries } : {}),
    ...(startPeriodMs !== undefined ? { startPeriodMs } : {}),
  };
}
