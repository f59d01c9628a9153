import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/common/errors.js';
import { securityFieldsFor } from '../../src/engine/quirks.js';
import { isRootWithoutImage, parseUser, uidFromPasswd, uidOf } from '../../src/security/image-user.js';
import { parseProcStatus } from '../../src/security/proc-status.js';
import { STRICT_SECCOMP_OPT, strictSeccompJson } from '../../src/security/seccomp-profile.js';
import { applyProfile } from '../../src/security/security-profile.js';
import { ContainerSpecBuilder } from '../../src/spec/builder.js';
import { toCreateOptions } from '../../src/spec/to-create-options.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\nberth:x:1000:1000::/home/berth:/bin/bash\n';

function problemsOf(spec: Record<string, unknown>): string[] {
  try {
    applyProfile({ image: 'x', ...spec }, 'strict');
  } catch (err) {
    if (BerthError.is(err, 'PolicyDenied')) return (err.details.problems ?? []).map((p) => p.path);
    throw err;
  }
  return [];
}

describe('numeric uid of a user', () => {
  it.each([['00', 0], ['000:0', 0], ['0:1000', 0], ['1000', 1000], ['65534:65534', 65534]])('%s is uid %i', (user, uid) => {
    expect(parseUser(user).uid).toBe(uid);
  });

  it('root by itself: unset, root, any spelling of 0; a name needs the image', () => {
    for (const u of [undefined, 'root', 'root:root', '0', '00', '0:0']) expect(isRootWithoutImage(u), String(u)).toBe(true);
    for (const u of ['1000', 'toor', 'berth', '65534:0']) expect(isRootWithoutImage(u), u).toBe(false);
  });

  it("looks a name up in the image's /etc/passwd", async () => {
    expect(uidFromPasswd(PASSWD, 'toor')).toBe(0);
    expect(uidFromPasswd(PASSWD, 'berth')).toBe(1000);
    expect(uidFromPasswd(PASSWD, 'ghost')).toBeUndefined();
    expect(await uidOf('toor:1000', async () => PASSWD)).toBe(0);
    expect(await uidOf('1000', async () => { throw new Error('not asked'); })).toBe(1000);
  });
});

describe('strict refuses what loosens it', () => {
  it.each([
    [{ user: '00' }, 'user'],
    [{ user: 'root' }, 'user'],
    [{ securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }, 'securityOpt.0'],
    [{ securityOpt: ['apparmor=unconfined'] }, 'securityOpt.0'],
    [{ securityOpt: ['systempaths=unconfined'] }, 'securityOpt.0'],
    [{ securityOpt: ['label=disable'] }, 'securityOpt.0'],
    [{ devices: [{ PathOnHost: '/dev/kmsg' }] }, 'devices'],
    [{ pidMode: 'host' }, 'pidMode'],
    [{ network: 'host' }, 'network'],
    [{ tmpfs: { '/x': 'rw,suid' } }, 'tmpfs./x'],
  ])('%j', (spec, field) => {
    expect(problemsOf(spec)).toContain(field);
  });

  it('keeps no-new-privileges and SELinux label types, and adds its seccomp profile and a user namespace', () => {
    const s = applyProfile({ image: 'x', securityOpt: ['no-new-privileges:true', 'label=type:container_t'] }, 'strict');
    expect(s.securityOpt).toEqual(['no-new-privileges:true', 'label=type:container_t', 'no-new-privileges', STRICT_SECCOMP_OPT]);
    expect(s.userns).toBe('auto');
    expect(s.user).toBe('65534:65534');
  });

  it("puts the profile itself in the create options, inline for Docker and as a path for Podman", () => {
    const o = toCreateOptions(ContainerSpecBuilder.from(applyProfile({ image: 'x' }, 'strict')).build(), { instance: 'u' });
    const inline = o.HostConfig?.SecurityOpt?.find((x: string) => x.startsWith('seccomp='));
    expect(inline).toBe(`seccomp=${strictSeccompJson()}`);
    expect(o.HostConfig?.UsernsMode).toBe('auto');
    const docker = securityFieldsFor('docker', o.HostConfig ?? {}, () => '/never');
    expect(docker.UsernsMode).toBeUndefined();
    expect(docker.SecurityOpt).toContain(inline);
    const podman = securityFieldsFor('podman', o.HostConfig ?? {}, () => '/pkg/container/seccomp-strict.json');
    expect(podman.SecurityOpt).toContain('seccomp=/pkg/container/seccomp-strict.json');
    expect(podman.UsernsMode).toBe('auto');
  });

  it('its profile is an allow-list without the calls it removes, and clone without namespace flags', () => {
    const p = JSON.parse(strictSeccompJson()) as { defaultAction: string; syscalls: Array<{ names: string[]; action: string; args?: Array<{ value: number; op: string }> }> };
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    const allowed = new Set(p.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
    for (const gone of ['ptrace', 'personality', 'unshare', 'setns', 'mount', 'keyctl', 'io_uring_setup', 'userfaultfd', 'bpf', 'clone', 'clone3']) expect(allowed.has(gone), gone).toBe(false);
    for (const kept of ['read', 'write', 'execve', 'openat', 'wait4']) expect(allowed.has(kept), kept).toBe(true);
    expect(p.syscalls.find((s) => s.names.includes('clone'))?.args?.[0]).toMatchObject({ value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' });
  });
});

describe('/proc/1 for the score', () => {
  it('reads the effective uid and where uid 0 maps on the host', () => {
    const status = 'Uid:\t0\t0\t0\t0\nCapEff:\t0\nNoNewPrivs:\t1\nSeccomp:\t2\n';
    expect(parseProcStatus(status, '         0 1000000000      65536\n')).toMatchObject({ uid: 0, rootHostUid: 1000000000 });
    expect(parseProcStatus(status, '         0          0 4294967295\n')).toMatchObject({ rootHostUid: 0 });
  });
});
