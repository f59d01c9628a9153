import type Docker from 'dockerode';
import { ownershipLabels } from '../common/labels.js';
import type { ContainerSpec } from './container-spec.js';
import { withDefaults } from './defaults.js';
import { parseSize } from './size.js';
import { STRICT_SECCOMP_OPT, strictSeccompJson } from '../security/seccomp-profile.js';

const NS_PER_MS = 1_000_000;

export interface CreateContext {
  /** The berth instance that owns the container (label `berth.instance`). */
  instance: string;
  /** Extra labels berth itself adds, e.g. `berth.session`. */
  labels?: Record<string, string>;
  /** berth's own bind mounts (the session agent), appended to the spec's. */
  systemMounts?: Array<{ source: string; target: string; readOnly: boolean }>;
}

function bytes(v: string | number | undefined): number | undefined {
  return v === undefined ? undefined : v === -1 ? -1 : parseSize(v);
}

/** The one function that turns a (valid) spec into the engine's create options. */
export function toCreateOptions(input: ContainerSpec, ctx: CreateContext): Docker.ContainerCreateOptions {
  const spec = withDefaults(input);
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, object> = {};
  for (const p of spec.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({ HostIp: p.hostIp ?? '127.0.0.1', HostPort: p.hostPort ? String(p.hostPort) : '' });
  }
  const hc = spec.healthcheck;
  const memory = bytes(spec.memory);
  return {
    ...(spec.name ? { name: spec.name } : {}),
    Image: spec.image,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.hostname ? { Hostname: spec.hostname } : {}),
    Labels: { ...spec.labels, ...ctx.labels, ...ownershipLabels(ctx.instance) },
    Tty: spec.tty ?? false,
    OpenStdin: spec.openStdin ?? false,
    ...(spec.ports?.length ? { ExposedPorts: exposed } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: ['CMD', ...hc.cmd],
            Interval: (hc.intervalMs ?? 30_000) * NS_PER_MS,
            Timeout: (hc.timeoutMs ?? 5_000) * NS_PER_MS,
            Retries: hc.retries ?? 3,
            StartPeriod: (hc.startPeriodMs ?? 0) * NS_PER_MS,
          },
        }
      : {}),
    ...(spec.networkAliases?.length && spec.network ? { NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases } } } } : {}),
    HostConfig: {
      ...(memory !== undefined ? { Memory: memory } : {}),
      ...(spec.memorySwap !== undefined ? { MemorySwap: bytes(spec.memorySwap) } : {}),
      ...(spec.cpus !== undefined ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      ...(spec.pidsLimit !== undefined ? { PidsLimit: spec.pidsLimit } : {}),
      NetworkMode: spec.network,
      ...(spec.ports?.length ? { PortBindings: portBindings } : {}),
      ...(spec.dns?.length ? { Dns: spec.dns } : {}),
      ...(spec.mounts?.length || ctx.systemMounts?.length
        ? {
            Mounts: [
              ...(spec.mounts ?? []).map((m) => ({
                Type: m.type,
                Target: m.target,
                Source: m.source ?? '',
                ReadOnly: m.readOnly ?? m.type === 'bind',
              })),
              ...(ctx.systemMounts ?? []).map((m) => ({ Type: 'bind' as const, Target: m.target, Source: m.source, ReadOnly: m.readOnly })),
            ],
          }
        : {}),
      ...(spec.tmpfs ? { Tmpfs: spec.tmpfs } : {}),
      ReadonlyRootfs: spec.readOnlyRootfs,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      SecurityOpt: spec.securityOpt?.map((o) => (o === STRICT_SECCOMP_OPT ? `seccomp=${strictSeccompJson()}` : o)),
      ...(spec.userns ? { UsernsMode: spec.userns } : {}),
      Privileged: spec.privileged,
      Init: spec.init,
      RestartPolicy: {
        Name: spec.restartPolicy?.name === 'no' ? '' : (spec.restartPolicy?.name ?? ''),
        ...(spec.restartPolicy?.maxRetries !== undefined ? { MaximumRetryCount: spec.restartPolicy.maxRetries } : {}),
      },
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': String(spec.log?.maxSize), 'max-file': String(spec.log?.maxFiles) },
      },
      ...(spec.runtime ? { Runtime: spec.runtime } : {}),
    },
  };
}
