import { describe, expect, it } from 'vitest';
import { BerthError, ContainerSpec } from '../../src/index.js';
import { engineUnderTest, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

describe(`bad input (${engineUnderTest()})`, () => {
  const t = useBerth();

  it('an unknown image is NotFound naming it, and leaves no container', async () => {
    const image = `berth-no-such-image-${runId()}:v1`;
    const name = uniqueName('noimage');
    const spec = ContainerSpec.builder().image(image).name(name).labels(TEST_LABEL, runId()).build();
    const err = await t.berth.containers.create(spec).catch((e: unknown) => e);
    expect(BerthError.is(err, 'NotFound')).toBe(true);
    expect((err as BerthError).message).toContain(image);
    expect((err as BerthError).details.image).toBe(image);
    const left = await t.berth.containers.list({ labels: { [TEST_LABEL]: runId() } });
    expect(left.map((c) => c.name)).not.toContain(name);
  });

  it('an invalid spec is InvalidArgument listing every field, before the engine is asked', async () => {
    const bad = { image: 'x y', memory: '12zb', cpus: -1, workdir: 'rel', cmd: [], env: { '1A': 'v' } };
    const err = await t.berth.containers.create(bad as never).catch((e: unknown) => e);
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    const paths = (err as BerthError).details.problems?.map((p) => p.path).sort();
    expect(paths).toEqual(['cmd', 'cpus', 'env.1A', 'image', 'memory', 'workdir']);
    expect((err as BerthError).message).toContain('memory: "12zb" is not a size');
  });

  it('exec in a stopped container is Conflict', async () => {
    const c = await t.running('stopped');
    await c.stop({ graceSeconds: 0 });
    const err = await c.exec({ cmd: ['true'] }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'Conflict')).toBe(true);
    expect((err as BerthError).message).toContain('not running');
  });

  it('exec in a removed container is NotFound', async () => {
    const c = await t.running('gone');
    await c.remove({ force: true });
    const err = await c.exec({ cmd: ['true'] }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'NotFound')).toBe(true);
  });

  it('bad exec options are InvalidArgument and start nothing', async () => {
    const c = await t.running('badexec');
    const err = await c.exec({ cmd: 'echo hi' as never, timeoutMs: -5, workdir: 'x' }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    expect((err as BerthError).details.problems?.map((p) => p.path).sort()).toEqual(['cmd', 'timeoutMs', 'workdir']);
    const marker = await c.exec({ cmd: ['true'], env: { BERTH_EXEC_ID: 'x' } }).catch((e: unknown) => e);
    expect(BerthError.is(marker, 'InvalidArgument')).toBe(true);
  });

  it('an unknown container is NotFound', async () => {
    const err = await t.berth.containers.get(`berth-no-such-${runId()}`).catch((e: unknown) => e);
    expect(BerthError.is(err, 'NotFound')).toBe(true);
  });

  it('a bad engine option is InvalidArgument', async () => {
    const { Berth } = await import('../../src/index.js');
    const err = await Berth.connect({ engine: 'lxc' as never }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
  });
});
