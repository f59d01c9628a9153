import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/common/errors.js';
import type { InspectInfo } from '../../src/engine/engine.js';
import { capabilityMask, capabilityNames } from '../../src/security/capabilities.js';
import { MountValidator } from '../../src/security/mount-validator.js';
import { parseProcStatus, type ProcessSecurity } from '../../src/security/proc-status.js';
import { scoreContainer } from '../../src/security/security-score.js';
import { applyProfile, PROFILE_LABEL } from '../../src/security/security-profile.js';
import { DEFAULT_CAP_ADD } from '../../src/spec/defaults.js';
import { ContainerSpecBuilder } from '../../src/spec/builder.js';
import { toCreateOptions } from '../../src/spec/to-create-options.js';

/** Inspect data as the engine returns it for a container made from `spec` (the fields the score reads). */
function inspectOf(spec: ReturnType<ContainerSpecBuilder['build']>): InspectInfo {
  const o = toCreateOptions(spec, { instance: 'unit' });
  const hc = o.HostConfig ?? {};
  return {
    Id: 'c0ffee',
    Config: { Labels: o.Labels ?? {}, User: o.User ?? '' },
    HostConfig: { ...hc, NetworkMode: hc.NetworkMode ?? 'none' },
    Mounts: (spec.mounts ?? []).map((m) => ({ Type: m.type, Source: m.source ?? '', Destination: m.target, RW: !m.readOnly })),
    State: { Running: true, Pid: 1 },
  } as unknown as InspectInfo;
}

const proc = (caps: readonly string[], over: Partial<ProcessSecurity> = {}): ProcessSecurity => ({
  seccomp: 2,
  noNewPrivs: true,
  capEff: capabilityMask(caps),
  maxOpenFiles: { soft: 1024, hard: 20000 },
  ...over,
});

const validator = new MountValidator({});
const build = (p: Parameters<typeof ContainerSpecBuilder.from>[0]) => ContainerSpecBuilder.from(p).build();

describe('security score', () => {
  it('gives the standard profile 100 on its own checks, with read-only root and user as advice only', () => {
    const r = scoreContainer(inspectOf(build(applyProfile({ image: 'x' }, 'standard'))), proc(DEFAULT_CAP_ADD), validator);
    expect(r.profile).toBe('standard');
    expect(r.failed).toEqual([]);
    expect(r.score).toBe(100);
    const advisory = r.checks.filter((c) => !c.required).map((c) => c.id);
    expect(advisory.sort()).toEqual(['read-only-root', 'seccomp-profile', 'user', 'userns']);
  });

  it('gives the strict profile 100 with nothing advisory', () => {
    const r = scoreContainer(inspectOf(build(applyProfile({ image: 'x', memory: '64m' }, 'strict'))), proc([]), validator);
    expect(r.profile).toBe('strict');
    expect(r.score).toBe(100);
    expect(r.checks.every((c) => c.required)).toBe(true);
  });

  it('scores a privileged container with host namespaces and open ports low, listing why', () => {
    const spec = build({ image: 'x', privileged: true, ports: [{ containerPort: 80, hostIp: '0.0.0.0' }], mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/s' }] });
    const info = inspectOf(spec);
    (info.HostConfig as Record<string, unknown>).PidMode = 'host';
    const r = scoreContainer(info, { seccomp: 0, noNewPrivs: false, capEff: (1n << 41n) - 1n, maxOpenFiles: { soft: 1024, hard: undefined } }, validator);
    expect(r.score).toBeLessThan(30);
    expect(r.failed.map((c) => c.id)).toEqual(expect.arrayContaining(['privileged', 'capabilities', 'seccomp', 'no-new-privileges', 'host-namespaces', 'dangerous-mounts', 'port-bindings', 'ulimits']));
    expect(r.failed.find((c) => c.id === 'capabilities')?.detail).toContain('privileged');
    expect(r.failed.find((c) => c.id === 'dangerous-mounts')?.detail).toContain('engine-socket');
  });

  it('fails capabilities when PID 1 holds more than the profile allows, even if the config looks right', () => {
    const r = scoreContainer(inspectOf(build({ image: 'x' })), proc([...DEFAULT_CAP_ADD, 'NET_RAW']), validator);
    expect(r.failed.map((c) => c.id)).toEqual(['capabilities']);
    expect(r.score).toBe(86);
  });

  it('judges from the config alone when the container is not running', () => {
    const r = scoreContainer(inspectOf(build({ image: 'x', capAdd: ['SYS_ADMIN'] })), undefined, validator);
    expect(r.inspectedInside).toBe(false);
    expect(r.failed.map((c) => c.id)).toEqual(['capabilities']);
  });

  it('weighs against the profile label on the container', () => {
    const info = inspectOf(build(applyProfile({ image: 'x' }, 'standard')));
    info.Config.Labels[PROFILE_LABEL] = 'strict';
    const r = scoreContainer(info, proc(DEFAULT_CAP_ADD), validator);
    expect(r.failed.map((c) => c.id).sort()).toEqual(['capabilities', 'read-only-root', 'seccomp-profile', 'user', 'userns']);
  });
});

describe('strict profile', () => {
  it('forces a read-only root, tmpfs for /tmp and the workspace, no caps, non-root, no swap, no network', () => {
    const s = build(applyProfile({ image: 'x', memory: '128m', pidsLimit: 4096 }, 'strict', { workspace: '/work' }));
    expect(s.readOnlyRootfs).toBe(true);
    expect(Object.keys(s.tmpfs ?? {}).sort()).toEqual(['/tmp', '/work']);
    expect(s.tmpfs?.['/tmp']).toContain('size=64m');
    expect(s.capAdd).toEqual([]);
    expect(s.capDrop).toEqual(['ALL']);
    expect(s.securityOpt).toContain('no-new-privileges');
    expect(s.user).toBe('65534:65534');
    expect(s.pidsLimit).toBe(256);
    expect(s.memorySwap).toBe('128m');
    expect(s.network).toBe('none');
    expect(s.labels?.[PROFILE_LABEL]).toBe('strict');
  });

  it('keeps a non-root user and a lower pids limit', () => {
    const s = build(applyProfile({ image: 'x', user: '1000:1000', pidsLimit: 64 }, 'strict'));
    expect(s.user).toBe('1000:1000');
    expect(s.pidsLimit).toBe(64);
  });

  it('refuses what strict forbids with PolicyDenied naming each field', () => {
    let err: unknown;
    try {
      applyProfile({ image: 'x', privileged: true, capAdd: ['NET_RAW'], network: 'bridge', securityOpt: ['seccomp=unconfined'] }, 'strict');
    } catch (e) {
      err = e;
    }
    expect(BerthError.is(err, 'PolicyDenied')).toBe(true);
    expect((err as BerthError).details.problems?.map((p) => p.path)).toEqual(['privileged', 'capAdd', 'network', 'securityOpt.0']);
  });
});

describe('/proc/1/status', () => {
  it('parses seccomp, no-new-privileges, CapEff and the open files limit', () => {
    const status = 'Name:\tsleep\nCapEff:\t00000000000004fb\nNoNewPrivs:\t1\nSeccomp:\t2\n';
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 20000                files\n';
    const p = parseProcStatus(status, limits);
    expect(p).toEqual({ seccomp: 2, noNewPrivs: true, capEff: 0x4fbn, maxOpenFiles: { soft: 1024, hard: 20000 } });
    expect(capabilityNames(p!.capEff).sort()).toEqual([...DEFAULT_CAP_ADD].sort());
    expect(parseProcStatus('Name:\tx\n')).toBeUndefined();
  });

  it('maps capability names to CapEff bits', () => {
    expect(capabilityMask(DEFAULT_CAP_ADD)).toBe(0x4fbn);
    expect(capabilityMask(['CAP_SYS_ADMIN', 'net_raw'])).toBe((1n << 21n) | (1n << 13n));
  });
});
