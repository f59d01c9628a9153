import { describe, expect, it } from 'vitest';
import { canonicalImageName, eventExitCode, kindFromVersion, normaliseEventAction, sameImage, tmpfsOptionsFor } from '../../src/engine/quirks.js';
import { sinceTime } from '../../src/cli/parse.js';

describe('engine quirks', () => {
  it('normalises event names', () => {
    expect(normaliseEventAction('died')).toBe('die');
    expect(normaliseEventAction('die')).toBe('die');
    expect(normaliseEventAction('health_status: healthy')).toBe('health_status');
    expect(normaliseEventAction('oom')).toBe('oom');
  });
  it('reads the exit code from either engine attribute', () => {
    expect(eventExitCode({ exitCode: '3' })).toBe(3);
    expect(eventExitCode({ containerExitCode: '137' })).toBe(137);
    expect(eventExitCode({})).toBeUndefined();
    expect(eventExitCode({ exitCode: 'x' })).toBeUndefined();
  });
  it('compares image names across localhost/ and docker.io/library/ prefixes', () => {
    expect(canonicalImageName('localhost/berth-fixture:busybox')).toBe('berth-fixture:busybox');
    expect(canonicalImageName('docker.io/library/alpine')).toBe('alpine:latest');
    expect(canonicalImageName('registry:5000/x')).toBe('registry:5000/x:latest');
    expect(sameImage('localhost/a:1', 'a:1')).toBe(true);
    expect(sameImage('a:1', 'a:2')).toBe(false);
  });
  it('tells Podman from Docker by the /version components', () => {
    expect(kindFromVersion({ Components: [{ Name: 'Podman Engine' }] })).toBe('podman');
    expect(kindFromVersion({ Components: [{ Name: 'Engine' }, { Name: 'containerd' }] })).toBe('docker');
    expect(kindFromVersion({})).toBe('docker');
  });
});

describe('tmpfs options', () => {
  it('keeps Docker options and turns uid/gid into Podman U', () => {
    expect(tmpfsOptionsFor('docker', 'rw,size=64m,uid=65534,gid=65534')).toBe('rw,size=64m,uid=65534,gid=65534');
    expect(tmpfsOptionsFor('podman', 'rw,size=64m,uid=65534,gid=65534')).toBe('rw,size=64m,U');
    expect(tmpfsOptionsFor('podman', 'rw,size=64m,mode=1777')).toBe('rw,size=64m,mode=1777');
  });
});

describe('--since', () => {
  it('takes durations back from now and dates, and refuses anything else with InvalidArgument', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(sinceTime('90s', '--since', now)).toBe(now - 90_000);
    expect(sinceTime('2h', '--since', now)).toBe(now - 7_200_000);
    expect(sinceTime('7d', '--since', now)).toBe(now - 7 * 86_400_000);
    expect(sinceTime('2026-11-30T10:00:00Z', '--since', now)).toBe(Date.parse('2026-11-30T10:00:00Z'));
    expect(sinceTime(undefined, '--since', now)).toBeUndefined();
    expect(() => sinceTime('soon', '--since', now)).toThrow(/--since/);
  });
});
