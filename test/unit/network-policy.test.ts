import { describe, expect, it } from 'vitest';
import { networkPolicySchema, normalisePolicy, specWithPolicy } from '../../src/network/network-policy.js';
import { internalNetworkHasDefaultRoute, internalNetworkResolvesNames } from '../../src/engine/quirks.js';
import { toCreateOptions } from '../../src/spec/to-create-options.js';
import { validateSpec } from '../../src/spec/validate.js';

const paths = (v: unknown) => {
  const r = networkPolicySchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('network policy', () => {
  it('accepts the three names and the object form; refuses combinations that make no sense', () => {
    for (const ok of ['none', 'isolated', 'bridge', { policy: 'isolated', aliases: ['web'], dns: ['10.0.0.53'] }, { policy: 'isolated', join: 's-1' }, { policy: 'bridge', dns: ['::1'] }]) {
      expect(paths(ok)).toEqual([]);
    }
    expect(paths('open')).not.toEqual([]);
    expect(paths({ policy: 'none', dns: ['10.0.0.53'] })).toContain('dns');
    expect(paths({ policy: 'bridge', aliases: ['x'] })).toContain('aliases');
    expect(paths({ policy: 'bridge', join: 's-1' })).toContain('join');
    expect(paths({ policy: 'bridge', dns: ['example.com'] })).toContain('dns.0');
    expect(paths({ policy: 'isolated', extra: 1 })).not.toEqual([]);
  });

  it('applies to a spec: network, default alias, DNS; and the spec maps them to the engine', () => {
    const base = { image: 'x', network: 'host', networkAliases: ['old'], dns: ['1.1.1.1'] };
    expect(specWithPolicy(base, normalisePolicy(undefined), 'berth-net-s-1', 'dev')).toEqual({ image: 'x', network: 'none' });
    const iso = specWithPolicy(base, { policy: 'isolated', dns: ['10.0.0.53'] }, 'berth-net-s-1', 'dev');
    expect(iso).toEqual({ image: 'x', network: 'berth-net-s-1', networkAliases: ['dev'], dns: ['10.0.0.53'] });
    const o = toCreateOptions(iso, { instance: 'i' });
    expect(o.HostConfig?.NetworkMode).toBe('berth-net-s-1');
    expect(o.HostConfig?.Dns).toEqual(['10.0.0.53']);
    expect(o.NetworkingConfig?.EndpointsConfig?.['berth-net-s-1']?.Aliases).toEqual(['dev']);
    expect(specWithPolicy(base, { policy: 'bridge' }, 'n', 'dev')).toEqual({ image: 'x', network: 'bridge' });
  });

  it('refuses aliases without a user-defined network in a spec', () => {
    expect(validateSpec({ image: 'x', networkAliases: ['a'] }).map((p) => p.path)).toContain('networkAliases');
    expect(validateSpec({ image: 'x', network: 'lab', networkAliases: ['a'] })).toEqual([]);
  });

  it('knows which engines route out of internal networks and resolve names there', () => {
    expect(internalNetworkHasDefaultRoute('docker', '20.10.24+dfsg1')).toBe(true);
    expect(internalNetworkHasDefaultRoute('docker', '25.0.3')).toBe(false);
    expect(internalNetworkHasDefaultRoute('podman', '4.3.1')).toBe(false);
    expect(internalNetworkResolvesNames('docker')).toBe(true);
    expect(internalNetworkResolvesNames('podman')).toBe(false);
  });
});
