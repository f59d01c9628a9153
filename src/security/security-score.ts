import type { InspectInfo } from '../engine/engine.js';
import { LABELS } from '../common/labels.js';
import { DEFAULT_CAP_ADD } from '../spec/defaults.js';
import { capabilityMask, capabilityNames } from './capabilities.js';
import type { MountValidator } from './mount-validator.js';
import type { ProcessSecurity } from './proc-status.js';
import { isStrictSeccompOpt } from './seccomp-profile.js';
import { isRootWithoutImage, parseUser } from './image-user.js';
import { PROFILE_LABEL, type SecurityProfileName } from './security-profile.js';

export interface SecurityCheck {
  /** Stable id, e.g. `privileged`, `seccomp`. */
  id: string;
  title: string;
  passed: boolean;
  /** Points this check is worth when the profile requires it. */
  weight: number;
  /** False: the profile does not require it (advisory; not counted in the score). */
  required: boolean;
  /** What was found, e.g. `CapEff has NET_RAW, SYS_ADMIN`. */
  detail: string;
}

export interface SecurityReport {
  containerId: string;
  /** The profile the checks were weighed against: the container's label, else `standard`. */
  profile: SecurityProfileName;
  /** 0–100: the weight of passed required checks over the weight of all required ones. */
  score: number;
  checks: SecurityCheck[];
  /** Required checks that failed. */
  failed: SecurityCheck[];
  /** True when `/proc/1/status` was read (the container was running). */
  inspectedInside: boolean;
}

const HOST_NS = ['NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode'] as const;

/** Security options that switch a confinement off. */
const UNCONFINED = /^(apparmor[=:]unconfined|systempaths[=:]unconfined|label[=:]disable|seccomp[=:]unconfined)$/;

/** What the scorer found beside the inspect data. */
export interface ScoreContext {
  /** The numeric uid of `Config.User` (a name looked up in the image's /etc/passwd); undefined when unknown. */
  configUid?: number;
  /** The engine is Docker with `userns-remap` on. */
  usernsRemap?: boolean;
}

/**
 * Scores a container from its inspect data and, when given, what its PID 1 reports.
 * Pure: the caller gathers the inputs (see `SecurityScorer`).
 */
export function scoreContainer(info: InspectInfo, proc: ProcessSecurity | undefined, mounts: MountValidator, ctx: ScoreContext = {}): SecurityReport {
  const hc = info.HostConfig;
  const labels = info.Config.Labels ?? {};
  const profile: SecurityProfileName = labels[PROFILE_LABEL] === 'strict' ? 'strict' : 'standard';
  const strict = profile === 'strict';
  const allowedCaps = capabilityMask(strict ? [] : DEFAULT_CAP_ADD);
  const secOpt = hc.SecurityOpt ?? [];
  const checks: SecurityCheck[] = [];
  const add = (id: string, title: string, weight: number, passed: boolean, detail: string, required = true) =>
    checks.push({ id, title, weight, passed, required, detail });

  add('privileged', 'not privileged', 20, !hc.Privileged, hc.Privileged ? 'runs privileged: every capability and device, no seccomp' : 'not privileged');
  if (hc.Privileged) {
    add('capabilities', `capabilities within the ${profile} set`, 15, false, 'privileged: every capability');
  } else if (proc) {
    const extra = proc.capEff & ~allowedCaps;
    add('capabilities', `capabilities within the ${profile} set`, 15, extra === 0n, extra === 0n ? `CapEff ${capabilityNames(proc.capEff).join(', ') || 'empty'}` : `CapEff has ${capabilityNames(extra).join(', ')} beyond the profile`);
  } else {
    const added = capabilityMask(hc.CapAdd ?? []) & ~allowedCaps;
    const dropsAll = (hc.CapDrop ?? []).some((c: string) => c.toUpperCase() === 'ALL');
    add('capabilities', `capabilities within the ${profile} set`, 15, dropsAll && added === 0n, `CapDrop ${dropsAll ? 'has' : 'lacks'} ALL; CapAdd ${(hc.CapAdd ?? []).join(', ') || 'none'}`);
  }
  const unconfined = secOpt.some((o: string) => /^seccomp[=:]unconfined$/.test(o));
  const seccompOk = !hc.Privileged && !unconfined && (proc ? proc.seccomp === 2 : true);
  const seccompDetail = hc.Privileged ? 'privileged: no seccomp filter' : proc ? `Seccomp ${proc.seccomp}` : unconfined ? 'seccomp=unconfined' : 'engine default (not read from inside)';
  add('seccomp', 'a seccomp filter is loaded', 10, seccompOk, seccompDetail);
  const nnpOpt = secOpt.some((o: string) => /^no-new-privileges(:true|=true)?$/.test(o));
  add('no-new-privileges', 'no-new-privileges is set', 10, proc ? proc.noNewPrivs : nnpOpt, proc ? `NoNewPrivs ${proc.noNewPrivs ? 1 : 0}` : nnpOpt ? 'in SecurityOpt' : 'missing from SecurityOpt');
  const hostNs = HOST_NS.filter((k) => hc[k] === 'host');
  add('host-namespaces', 'no host namespaces', 10, hostNs.length === 0, hostNs.length ? `shares the host's ${hostNs.join(', ')}` : 'own namespaces');
  add('memory-limit', 'memory is limited', 5, (hc.Memory ?? 0) > 0, `Memory ${hc.Memory ?? 0} bytes`);
  const swapOk = (hc.Memory ?? 0) > 0 && hc.MemorySwap !== -1 && (hc.MemorySwap ?? 0) <= (hc.Memory ?? 0) && (hc.MemorySwap ?? 0) !== 0;
  add('swap', 'no swap beyond memory', 3, swapOk, `MemorySwap ${hc.MemorySwap ?? 0} bytes`);
  add('cpu-limit', 'CPU is limited', 4, (hc.NanoCpus ?? 0) > 0 || (hc.CpuQuota ?? 0) > 0, `NanoCpus ${hc.NanoCpus ?? 0}, CpuQuota ${hc.CpuQuota ?? 0}`);
  add('pids-limit', 'processes are limited', 5, (hc.PidsLimit ?? 0) > 0, `PidsLimit ${hc.PidsLimit ?? 0}`);
  const nofile = proc?.maxOpenFiles;
  const ulimitsOk = nofile ? nofile.hard !== undefined : !(hc.Ulimits ?? []).some((u) => u.Hard === -1);
  add('ulimits', 'open files are bounded', 2, ulimitsOk, nofile ? `nofile ${nofile.soft ?? 'unlimited'}/${nofile.hard ?? 'unlimited'}` : 'from HostConfig.Ulimits');
  const own = new Set((info.Config.Labels?.[LABELS.systemMounts] ?? '').split(',').filter(Boolean));
  const binds = (info.Mounts ?? []).filter((m) => m.Type === 'bind' && !own.has(m.Destination));
  const denied = mounts.check(binds.map((m) => ({ type: 'bind' as const, source: m.Source, target: m.Destination })));
  add('dangerous-mounts', 'no dangerous host mounts', 8, denied.length === 0, denied.length ? denied.map((d) => `${d.source} (${d.rule})`).join(', ') : `${binds.length} bind mount(s), none denied`);
  const devices = hc.Devices ?? [];
  add('devices', 'no host devices', 3, devices.length === 0, devices.length ? devices.map((d: { PathOnHost: string }) => d.PathOnHost).join(', ') : 'none');
  add('read-only-root', 'read-only root filesystem', 5, Boolean(hc.ReadonlyRootfs), hc.ReadonlyRootfs ? 'read-only' : 'writable', strict);
  const user = info.Config.User ?? '';
  const uid = proc?.uid ?? (user === '' ? 0 : (ctx.configUid ?? (isRootWithoutImage(user) ? 0 : parseUser(user).uid)));
  add('user', 'runs as a non-root user', 5, uid !== undefined && uid !== 0, `${user ? `User ${user}` : 'image default'}: uid ${uid ?? 'unknown (not in the image)'}${proc?.uid !== undefined ? ' (PID 1)' : ''}`, strict);
  const unconfinedOpts = secOpt.filter((o: string) => UNCONFINED.test(o));
  add('confinement', 'no confinement switched off', 5, unconfinedOpts.length === 0, unconfinedOpts.length ? unconfinedOpts.join(', ') : 'AppArmor, SELinux labels and masked paths as the engine sets them');
  const ownProfile = secOpt.some((o: string) => isStrictSeccompOpt(o));
  add('seccomp-profile', "berth's strict seccomp profile", 5, ownProfile, ownProfile ? "berth's profile (container/seccomp-strict.json)" : "the engine's default or another profile", strict);
  const remapped = proc?.rootHostUid !== undefined ? proc.rootHostUid !== 0 : Boolean(ctx.usernsRemap) || hc.UsernsMode === 'auto';
  const usernsDetail = proc?.rootHostUid !== undefined
    ? proc.rootHostUid === 0 ? "the container's root is the host's root (no user namespace; on Docker turn on userns-remap, see the README)" : `the container's root is host uid ${proc.rootHostUid}`
    : ctx.usernsRemap ? 'the Docker daemon runs with userns-remap' : `UsernsMode ${hc.UsernsMode || 'default'}`;
  add('userns', "the container's root is not the host's root", 5, remapped, usernsDetail, strict);
  const open = Object.values(hc.PortBindings ?? {}).flat().filter((b) => b && ['', '0.0.0.0', '::'].includes((b as { HostIp?: string }).HostIp ?? ''));
  add('port-bindings', 'ports bind to loopback', 3, open.length === 0, open.length ? `${open.length} binding(s) on all interfaces` : 'loopback only or none');
  add('labels', "berth's labels", 2, labels[LABELS.managed] === 'true', labels[LABELS.managed] === 'true' ? `instance ${labels[LABELS.instance] ?? '?'}` : 'not managed by berth');

  const required = checks.filter((c) => c.required);
  const total = required.reduce((n, c) => n + c.weight, 0);
  const got = required.filter((c) => c.passed).reduce((n, c) => n + c.weight, 0);
  return {
    containerId: info.Id,
    profile,
    score: Math.round((100 * got) / total),
    checks,
    failed: required.filter((c) => !c.passed),
    inspectedInside: proc !== undefined,
  };
}
