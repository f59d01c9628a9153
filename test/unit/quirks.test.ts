import { describe, expect, it } from 'vitest';
import { canonicalImageName, eventExitCode, kindFromVersion, normaliseEventAction, sameImage } from '../../src/engine/quirks.js';

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
