import { mkdtempSync, mkdirSync, rmSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/common/errors.js';
import type { MountSpec } from '../../src/spec/container-spec.js';
import { MountValidator, resolveHostPath, type MountRule } from '../../src/security/mount-validator.js';

let dir: string;
let socketPath: string;
let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-mounts-'));
  mkdirSync(join(dir, 'work/sub'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'engine'), { recursive: true });
  socketPath = join(dir, 'engine/engine.sock');
  server = createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  symlinkSync('/etc', join(dir, 'etc-link'));
  symlinkSync('/', join(dir, 'root-link'));
  symlinkSync(socketPath, join(dir, 'sock-link'));
  symlinkSync('/proc/self', join(dir, 'proc-link'));
  symlinkSync(join(dir, 'etc-link'), join(dir, 'link-to-link'));
  symlinkSync('/var/run', join(dir, 'varrun-link'));
  symlinkSync(join(dir, 'work'), join(dir, 'work-link'));
  writeFileSync(join(dir, 'work/file.txt'), 'x');
  try {
    linkSync(socketPath, join(dir, 'work/hard.sock'));
  } catch {
    // Hard links to sockets need the same filesystem; tmpdir always is.
  }
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const bind = (source: string): MountSpec => ({ type: 'bind', source, target: '/mnt' });
const ruleOf = (v: MountValidator, source: string): MountRule | undefined => v.check([bind(source)])[0]?.rule;

describe('mount validator', () => {
  const validator = () => new MountValidator({ engineSocket: socketPath, deny: [join(dir, 'data')] });

  it.each([
    ['/', 'root'],
    ['/etc', 'system-dir'],
    ['/etc/', 'system-dir'],
    ['/etc/passwd', 'system-dir'],
    ['/proc', 'system-dir'],
    ['/proc/1/root', 'system-dir'],
    ['/sys/fs/cgroup', 'system-dir'],
    ['/dev', 'system-dir'],
    ['/dev/sda', 'system-dir'],
    ['/root/.ssh', 'system-dir'],
    ['/boot', 'system-dir'],
    ['/tmp/../etc', 'system-dir'],
    ['/usr/../root', 'system-dir'],
    ['//etc//shadow', 'system-dir'],
    ['/var/run/docker.sock', 'engine-socket'],
    ['/run/podman/podman.sock', 'engine-socket'],
    ['/var/lib/docker', 'engine-data'],
    ['/var/lib/docker/overlay2', 'engine-data'],
    ['/var/lib/containers/storage', 'engine-data'],
    ['/var/lib', 'contains-protected'],
    ['/var', 'contains-protected'],
    ['/run', 'socket-dir'],
    ['/run/berth', 'socket-dir'],
    ['/run/user/1000', 'socket-dir'],
    ['/run/systemd', 'socket-dir'],
    ['/run/dbus', 'socket-dir'],
    ['/var/run/dbus', 'socket-dir'],
    ['/usr', 'system-dir'],
    ['/usr/local/bin', 'system-dir'],
    ['/bin', 'system-dir'],
    ['/sbin', 'system-dir'],
    ['/lib/systemd', 'system-dir'],
    ['/lib64', 'system-dir'],
    ['/opt', 'system-dir'],
    ['/var/spool/cron/crontabs', 'system-dir'],
    ['/home', 'home'],
    ['/home/someone/.ssh', 'home'],
    ['/tmp', 'contains-protected'],
  ] as const)('denies %s (%s)', (source, rule) => {
    expect(ruleOf(validator(), source)).toBe(rule);
  });

  it('follows symlinks and .. inside host paths', () => {
    const v = validator();
    expect(ruleOf(v, join(dir, 'etc-link'))).toBe('system-dir');
    expect(ruleOf(v, join(dir, 'etc-link/ssl'))).toBe('system-dir');
    expect(ruleOf(v, join(dir, 'link-to-link'))).toBe('system-dir');
    expect(ruleOf(v, join(dir, 'root-link'))).toBe('root');
    expect(ruleOf(v, join(dir, 'proc-link'))).toBe('system-dir');
    expect(ruleOf(v, join(dir, 'work/../etc-link'))).toBe('system-dir');
    expect(ruleOf(v, join(dir, 'varrun-link'))).toBe('socket-dir');
    expect(ruleOf(v, join(dir, 'root-link/etc/does-not-exist-yet'))).toBe('system-dir');
  });

  it('denies the engine socket by any path: itself, a symlink, a hard link, any socket', () => {
    const v = validator();
    expect(ruleOf(v, socketPath)).toBe('engine-socket');
    expect(ruleOf(v, join(dir, 'sock-link'))).toBe('engine-socket');
    expect(ruleOf(v, join(dir, 'engine'))).toBe('socket-dir');
    expect(ruleOf(v, join(dir, 'work/hard.sock'))).toBe('socket');
  });

  it('denies configured paths and everything under them', () => {
    const v = validator();
    expect(ruleOf(v, join(dir, 'data'))).toBe('denied-path');
    expect(ruleOf(v, join(dir, 'data/berth.db'))).toBe('denied-path');
    expect(ruleOf(v, dir)).toBe('contains-protected');
  });

  it('allows ordinary host directories, through links too, and ignores volumes and tmpfs', () => {
    const v = validator();
    expect(v.check([bind(join(dir, 'work')), bind(join(dir, 'work-link/sub')), bind(join(dir, 'work/file.txt')), bind('/tmp/not-made-yet')])).toEqual([]);
    expect(v.check([{ type: 'volume', source: 'cache', target: '/c' }, { type: 'tmpfs', target: '/t' }])).toEqual([]);
  });

  it('keeps bind sources under the allowed roots when an allow-list is set', () => {
    const v = new MountValidator({ allowRoots: [join(dir, 'work')] });
    expect(ruleOf(v, join(dir, 'work/sub'))).toBeUndefined();
    expect(ruleOf(v, join(dir, 'work-link/sub'))).toBeUndefined();
    expect(ruleOf(v, join(dir, 'workshop'))).toBe('outside-allowed-roots');
    expect(ruleOf(v, '/tmp')).toBe('contains-protected');
    expect(ruleOf(v, '/srv')).toBe('outside-allowed-roots');
    expect(ruleOf(v, join(dir, 'work/../data'))).toBe('outside-allowed-roots');
  });

  it('throws PolicyDenied naming every broken rule and the mount index', () => {
    const v = validator();
    let err: unknown;
    try {
      v.assertAllowed([bind(join(dir, 'work')), bind('/etc'), bind('/var/run/docker.sock')]);
    } catch (e) {
      err = e;
    }
    expect(BerthError.is(err, 'PolicyDenied')).toBe(true);
    const e = err as BerthError;
    expect(e.message).toContain('system-dir');
    expect(e.message).toContain('engine-socket');
    expect(e.details.problems?.map((p) => p.path)).toEqual(['mounts.1.source', 'mounts.2.source']);
  });

  it('resolves a path that does not exist yet through its existing parent', () => {
    expect(resolveHostPath(join(dir, 'work-link/new/deeper'))).toBe(join(resolveHostPath(dir), 'work/new/deeper'));
  });

  it('resolves .. after a symlink as the kernel does: from the link\'s target', () => {
    expect(resolveHostPath(`${dir}/etc-link/..`)).toBe('/');
    expect(resolveHostPath(`${dir}/work-link/sub/../..`)).toBe(resolveHostPath(dir));
    expect(ruleOf(validator(), `${dir}/etc-link/ssl/..`)).toBe('system-dir');
  });

  it('refuses a symlink loop', () => {
    const a = join(dir, 'loop-a');
    symlinkSync(join(dir, 'loop-b'), a);
    symlinkSync(a, join(dir, 'loop-b'));
    expect(ruleOf(validator(), a)).toBe('unresolvable');
  });

  it('gives untrusted callers no bind mounts without roots, naming the config key, and only under them with', () => {
    const none = new MountValidator({});
    const d = none.check([bind(join(dir, 'work'))], 'untrusted')[0];
    expect(d?.rule).toBe('untrusted-caller');
    expect(d?.message).toContain('mounts.untrustedRoots');
    const some = new MountValidator({ untrustedRoots: [join(dir, 'work')] });
    expect(some.check([bind(join(dir, 'work/sub'))], 'untrusted')).toEqual([]);
    expect(some.check([bind(join(dir, 'work-link/sub'))], 'untrusted')).toEqual([]);
    expect(some.check([bind(`${dir}/work-link/..`)], 'untrusted')[0]?.rule).toBe('untrusted-caller');
    expect(some.check([bind(join(dir, 'data'))], 'operator')).toEqual([]);
  });

  it('hands the engine the real path, and refuses a start once a link was swapped in', () => {
    const v = new MountValidator({});
    expect(v.resolve([bind(join(dir, 'work-link/sub'))])[0]?.source).toBe(join(resolveHostPath(dir), 'work/sub'));
    expect(() => v.assertStartable([join(resolveHostPath(dir), 'work/sub')], 'operator')).not.toThrow();
    let err: unknown;
    try {
      v.assertStartable([join(dir, 'work-link')], 'operator');
    } catch (e) {
      err = e;
    }
    expect((err as BerthError).message).toContain('changed-since-create');
  });
});
