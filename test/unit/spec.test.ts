import { describe, expect, it } from 'vitest';
import { BerthError, ContainerSpec, SECURE_DEFAULTS, validateSpec } from '../../src/index.js';
import { parseSize } from '../../src/spec/size.js';
import { toCreateOptions } from '../../src/spec/to-create-options.js';

describe('parseSize', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['64MiB', 64 * 1024 ** 2],
    ['100', 100],
    [4096, 4096],
    [' 2k ', 2048],
  ])('%s → %i bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
  it.each(['12zb', '', 'm', '-1m', '1.2.3g', -5, 1.5])('%s is not a size', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});

describe('ContainerSpec.builder', () => {
  it('fills the hardened defaults and returns plain, serialisable data', () => {
    const spec = ContainerSpec.builder().image('img:1').cmd(['sleep', '1']).build();
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(spec).toMatchObject({
      image: 'img:1',
      memory: '512m',
      memorySwap: '512m',
      pidsLimit: SECURE_DEFAULTS.pidsLimit,
      network: 'none',
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges'],
      privileged: false,
      init: true,
    });
    expect(spec.capAdd).not.toContain('NET_RAW');
    expect(spec.capAdd).not.toContain('SYS_ADMIN');
  });

  it('keeps swap equal to memory when only memory is set', () => {
    const spec = ContainerSpec.builder().image('i').memory('1g').build();
    expect(spec.memorySwap).toBe('1g');
  });

  it('merges env and labels across calls and copies arrays', () => {
    const cmd = ['a'];
    const spec = ContainerSpec.builder().image('i').env('A', '1').env({ B: '2' }).labels({ x: 'y' }).cmd(cmd).build();
    cmd.push('mutated');
    expect(spec.env).toEqual({ A: '1', B: '2' });
    expect(spec.labels).toEqual({ x: 'y' });
    expect(spec.cmd).toEqual(['a']);
  });

  it('throws InvalidArgument carrying every problem with its path', () => {
    let err: unknown;
    try {
      ContainerSpec.builder()
        .image('')
        .memory('12zb')
        .cpus(0)
        .pidsLimit(1.5)
        .workdir('relative')
        .capAdd(['NOT_A_CAP'])
        .mount({ type: 'bind', target: '/data' })
        .restartPolicy({ name: 'always', maxRetries: 3 })
        .healthcheck({ cmd: [] })
        .build();
    } catch (e) {
      err = e;
    }
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    const problems = (err as BerthError).details.problems ?? [];
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['capAdd.0', 'cpus', 'healthcheck.cmd', 'image', 'memory', 'mounts.0.source', 'pidsLimit', 'restartPolicy', 'workdir'].sort(),
    );
    expect((err as BerthError).message).toContain('memory: "12zb" is not a size');
  });
});

describe('validateSpec', () => {
  it('accepts a minimal spec and reports nothing', () => {
    expect(validateSpec({ image: 'busybox' })).toEqual([]);
  });
  it('rejects unknown fields, reserved labels and swap below memory', () => {
    expect(validateSpec({ image: 'x', bogus: 1 }).map((p) => p.message).join()).toMatch(/bogus/);
    expect(validateSpec({ image: 'x', labels: { 'berth.managed': 'false' } })[0]?.path).toBe('labels');
    expect(validateSpec({ image: 'x', memory: '1g', memorySwap: '512m' })).toEqual([
      { path: 'memorySwap', message: 'must be at least memory (it counts memory plus swap), or -1' },
    ]);
    expect(validateSpec({ image: 'x', memory: '1m' })[0]?.message).toContain('below the 6m minimum');
  });
  it('rejects a shell string where an argv array is expected', () => {
    expect(validateSpec({ image: 'x', cmd: 'echo hi' })[0]?.path).toBe('cmd');
  });
  it('rejects non-object input', () => {
    expect(validateSpec(null).length).toBeGreaterThan(0);
    expect(validateSpec('busybox').length).toBeGreaterThan(0);
  });
});

describe('toCreateOptions', () => {
  it('maps a spec to engine create options with the ownership labels', () => {
    const spec = ContainerSpec.builder()
      .image('img')
      .name('n1')
      .cmd(['sh'])
      .env('A', 'b=c')
      .workdir('/w')
      .user('1000')
      .memory('256m')
      .cpus(1.5)
      .port({ containerPort: 8080 })
      .mount({ type: 'bind', source: '/host', target: '/in' })
      .tmpfs('/tmp', 'size=64m')
      .healthcheck({ cmd: ['true'], intervalMs: 1000 })
      .restartPolicy({ name: 'on-failure', maxRetries: 3 })
      .labels('team', 'a')
      .build();
    const o = toCreateOptions(spec, { instance: 'i1', labels: { 'berth.session': 's1' } });
    expect(o).toMatchObject({
      name: 'n1',
      Image: 'img',
      Cmd: ['sh'],
      Env: ['A=b=c'],
      WorkingDir: '/w',
      User: '1000',
      Labels: { team: 'a', 'berth.session': 's1', 'berth.managed': 'true', 'berth.instance': 'i1' },
      ExposedPorts: { '8080/tcp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Timeout: 5_000_000_000, Retries: 3 },
    });
    expect(o.HostConfig).toMatchObject({
      Memory: 256 * 1024 ** 2,
      MemorySwap: 256 * 1024 ** 2,
      NanoCpus: 1_500_000_000,
      PidsLimit: 512,
      NetworkMode: 'none',
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Mounts: [{ Type: 'bind', Source: '/host', Target: '/in', ReadOnly: true }],
      Tmpfs: { '/tmp': 'size=64m' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    });
  });

  it('lets explicit loosening through', () => {
    const spec = ContainerSpec.builder().image('i').privileged().capDrop([]).securityOpt([]).init(false).memorySwap(-1).build();
    const hc = toCreateOptions(spec, { instance: 'x' }).HostConfig;
    expect(hc).toMatchObject({ Privileged: true, CapDrop: [], SecurityOpt: [], Init: false, MemorySwap: -1 });
  });
});
