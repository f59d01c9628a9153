import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError, type CreateSessionRequest, type Session } from '../../src/index.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const labels = { [TEST_LABEL]: runId() };

async function caught(p: Promise<unknown>): Promise<BerthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a BerthError, the call succeeded');
}

describe(`strict profile bypasses (${engineUnderTest()})`, () => {
  const t = useBerth();
  const made: string[] = [];
  /** An image whose /etc/passwd has `toor`, another name for uid 0. */
  const toorImage = `berth-test-toor:${runId()}`;
  let context: string;

  beforeAll(async () => {
    context = mkdtempSync(join(tmpdir(), 'berth-adv-toor-'));
    writeFileSync(join(context, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\nRUN echo 'toor:x:0:0:root by another name:/:/bin/sh' >> /etc/passwd\n`);
    await t.berth.images.build({ context, tag: toorImage, labels });
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => t.berth.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await t.berth.images.remove(toorImage, { force: true }).catch(() => undefined);
    rmSync(context, { recursive: true, force: true });
  });

  const create = async (extra: Partial<CreateSessionRequest>): Promise<Session> => {
    const s = await t.berth.sessions.create({ name: uniqueName('strict'), image: FIXTURE_IMAGE, labels, ...extra });
    made.push(s.id);
    return s;
  };
  /** Asks for a strict session that must be refused with PolicyDenied naming `field`; nothing may be left behind. */
  const refused = async (spec: Record<string, unknown>, field: string, image = FIXTURE_IMAGE) => {
    const name = uniqueName('strict-bypass');
    const e = await caught(t.berth.sessions.create({ name, image, labels, security: 'strict', spec }));
    expect(e.code).toBe('PolicyDenied');
    expect(e.details.problems?.map((p) => p.path)).toContain(field);
    const rows = await t.berth.engineClient.listContainers([`${TEST_LABEL}=${runId()}`], true);
    expect(rows.filter((r) => r.Names.some((n) => n.includes(name)))).toEqual([]);
  };
  const sh = (s: Session, script: string) => t.berth.sessions.exec(s.id, { cmd: ['sh', '-c', script], timeoutMs: 30_000 });

  it.each(['00', '000:0', '0:0', '0', 'root', 'root:root', '0:65534'])('root spelled %s is refused', async (user) => {
    await refused({ user }, 'user');
  });

  it("root under another name in the image's /etc/passwd is refused", async () => {
    await refused({ user: 'toor' }, 'user', toorImage);
  });

  it('a user name missing from the image is refused (its uid cannot be checked)', async () => {
    await refused({ user: 'ghost' }, 'user');
  });

  it.each([
    ['seccomp=unconfined'],
    ['seccomp:unconfined'],
    ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
    ['apparmor=unconfined'],
    ['systempaths=unconfined'],
    ['label=disable'],
    ['label:disable'],
    ['seccomp=/usr/share/containers/seccomp.json'],
    ['no-new-privileges=false'],
  ])('security option %s is refused', async (opt) => {
    await refused({ securityOpt: ['no-new-privileges', opt] }, 'securityOpt.1');
  });

  it.each([
    ['devices', [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }]],
    ['pidMode', 'host'],
    ['ipcMode', 'host'],
    ['utsMode', 'host'],
    ['usernsMode', 'host'],
    ['cgroupnsMode', 'host'],
    ['network', 'host'],
    ['privileged', true],
    ['capAdd', ['SYS_ADMIN']],
  ])('%s (extra devices, host namespaces, privileges) is refused', async (field, value) => {
    await refused({ [field]: value }, field);
  });

  it('a tmpfs with suid or device files is refused', async () => {
    await refused({ tmpfs: { '/x': 'rw,exec,suid' } }, 'tmpfs./x');
    await refused({ tmpfs: { '/y': 'rw,dev' } }, 'tmpfs./y');
  });

  it("a removed syscall fails inside a strict session while the engine's default profile allows it", async () => {
    const standard = await create({});
    expect((await sh(standard, 'linux32 true && echo allowed')).stdout).toBe('allowed\n');
    const strict = await create({ security: 'strict' });
    const r = await sh(strict, 'linux32 true && echo allowed');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/personality.*Operation not permitted/);
    const ns = await sh(strict, 'unshare -U true && echo made-a-namespace');
    expect(ns.stdout).toBe('');
    expect(ns.stderr).toMatch(/Operation not permitted/);
    expect((await sh(strict, 'grep Seccomp: /proc/self/status')).stdout).toMatch(/Seccomp:\s+2/);
  });

  it("a strict session's root is not the host's root where the engine can give it a namespace, and the score says which", async () => {
    const s = await create({ security: 'strict' });
    const map = (await sh(s, 'cat /proc/self/uid_map')).stdout.trim().split(/\s+/).map(Number);
    const r = await t.berth.security.score(s.id);
    const userns = r.checks.find((c) => c.id === 'userns');
    if (engineUnderTest() === 'podman') {
      expect(map[0]).toBe(0);
      expect(map[1]).not.toBe(0);
      expect(userns?.passed).toBe(true);
    } else {
      expect(userns?.passed).toBe((map[1] ?? 0) !== 0);
      expect(userns?.passed).toBe(t.berth.engineClient.host.usernsRemap ?? false);
      if (!userns?.passed) expect(userns?.detail).toContain('userns-remap');
    }
    expect(r.checks.find((c) => c.id === 'seccomp-profile')?.passed).toBe(true);
  });

  it.each(['00', '0:0'])('the score judges user %s by the uid PID 1 runs as, not by its spelling', async (user) => {
    const s = await create({ spec: { user } });
    expect((await sh(s, 'id -u')).stdout.trim()).toBe('0');
    const r = await t.berth.security.score(s.id);
    expect(r.checks.find((c) => c.id === 'user')?.passed).toBe(false);
  });

  it("the score judges a user name by the image's /etc/passwd when the container is stopped", async () => {
    const s = await create({ image: toorImage, spec: { user: 'toor' } });
    await t.berth.sessions.stop(s.id, { graceSeconds: 0 });
    const r = await t.berth.security.score(s.id);
    expect(r.inspectedInside).toBe(false);
    const user = r.checks.find((c) => c.id === 'user');
    expect(user?.passed).toBe(false);
    expect(user?.detail).toContain('uid 0');
  });

  it('the score fails a container whose confinement was switched off', async () => {
    const s = await create({ spec: { securityOpt: ['no-new-privileges', 'label=disable', 'apparmor=unconfined'] } });
    const r = await t.berth.security.score(s.id);
    expect(r.failed.map((c) => c.id)).toContain('confinement');
  });
});
