import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import type { BuildEvent } from '../../src/image/build-progress.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const MULTISTAGE = new URL('../fixtures/multistage/', import.meta.url).pathname;

describe(`image builds through the ${engineUnderTest()} CLI (busybox fixture)`, () => {
  const t = useBerth();
  const tags: string[] = [];
  const dirs: string[] = [];
  const labels = { [TEST_LABEL]: runId() };
  const tag = (hint: string) => {
    const name = `${uniqueName(hint).toLowerCase()}:test`;
    tags.push(name);
    return name;
  };
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'berth-image-test-'));
    dirs.push(d);
    return d;
  };
  /** Runs `cmd` in a fresh container of `image` (network none) and returns its stdout. */
  const runIn = async (image: string, cmd: string[]) => {
    const c = t.track(await t.berth.containers.create(t.spec('run').image(image).cmd(['sleep', '3600']).build()));
    try {
      await c.start();
      const r = await c.exec({ cmd, timeoutMs: 30_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout;
    } finally {
      await c.remove({ force: true });
    }
  };

  afterEach(async () => {
    for (const name of tags.splice(0)) await t.berth.engineClient.removeImage(name, { force: true }).catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    // Stage images of multi-stage builds carry the labels too; none of this run's may stay.
    await t.berth.images.prune({ labels, all: true });
  });

  it('builds a target stage of a multi-stage Dockerfile with build args and labels, reporting progress', async () => {
    const events: BuildEvent[] = [];
    const name = tag('multi');
    const r = await t.berth.images.build(
      { context: MULTISTAGE, tag: name, target: 'final', buildArgs: { GREETING: 'bonjour', RUN_LABEL: runId() }, baseImage: FIXTURE_IMAGE, labels },
      { onEvent: (e) => events.push(e) },
    );
    expect(r.image).toBe(name);
    expect(r.imageId).toMatch(/^(sha256:)?[0-9a-f]{12,}$/);
    const steps = events.flatMap((e) => (e.type === 'step' ? [e.step] : []));
    expect(steps.some((s) => s.instruction.includes('echo final'))).toBe(true);
    expect(steps.some((s) => s.instruction.includes('echo extra'))).toBe(false);
    expect(events.some((e) => e.type === 'output')).toBe(true);

    const img = await t.berth.engineClient.inspectImage(name);
    expect(img?.labels).toMatchObject({ [TEST_LABEL]: runId(), 'berth.managed': 'true', 'berth.image': 'custom' });
    expect(await runIn(name, ['cat', '/greeting', '/stage'])).toBe('bonjour from build\nfinal\n');
    const listed = await t.berth.images.list();
    expect(listed.find((i) => i.tags.includes(name))).toMatchObject({ variant: 'custom' });

    // Tagged and unused: only prune --all (narrowed to this run's label) removes it.
    expect((await t.berth.images.prune({ labels })).removed).not.toContain(name);
    expect((await t.berth.images.prune({ labels, all: true })).removed).toContain(name);
    expect(await t.berth.engineClient.inspectImage(name)).toBeUndefined();
  });

  it('ensureBaseImage builds once, is a no-op the second time, and rebuilds when the Dockerfile changes', async () => {
    const dir = tempDir();
    const dockerfile = join(dir, 'Dockerfile');
    writeFileSync(dockerfile, readFileSync(join(MULTISTAGE, 'Dockerfile'), 'utf8').replace('ARG RUN_LABEL=none', `ARG RUN_LABEL=${runId()}`));
    const name = tag('ensure');
    const o = { dockerfile, tag: name, baseImage: FIXTURE_IMAGE, labels };
    const first = await t.berth.images.ensureBaseImage('alpine', o);
    expect(first).toMatchObject({ image: name, built: true });
    const [again, concurrent] = await Promise.all([t.berth.images.ensureBaseImage('alpine', o), t.berth.images.ensureBaseImage('alpine', o)]);
    expect(again).toMatchObject({ built: false, imageId: first.imageId, hash: first.hash });
    expect(concurrent.imageId).toBe(first.imageId);
    expect((await t.berth.engineClient.inspectImage(name))?.labels['berth.image.hash']).toBe(first.hash);

    writeFileSync(dockerfile, `${readFileSync(dockerfile, 'utf8')}RUN echo changed > /changed\n`);
    const third = await t.berth.images.ensureBaseImage('alpine', o);
    expect(third.built).toBe(true);
    expect(third.hash).not.toBe(first.hash);
    expect(third.imageId).not.toBe(first.imageId);
    expect((await t.berth.engineClient.inspectImage(name))?.labels['berth.image.hash']).toBe(third.hash);
    expect(await runIn(name, ['cat', '/changed'])).toBe('changed\n');

    expect((await t.berth.engineClient.inspectImage(first.imageId))?.tags ?? []).not.toContain(name);

    // build() of a variant always runs the builder (on the layer cache) and keeps the hash label.
    const forced = await t.berth.images.build({ variant: 'alpine', dockerfile, tag: name, baseImage: FIXTURE_IMAGE, labels });
    expect(forced.image).toBe(name);
    expect(forced.steps).toBeGreaterThan(0);
    expect((await t.berth.engineClient.inspectImage(name))?.labels['berth.image.hash']).toBe(third.hash);
  });

  it('a failing step gives the step and the last lines of output', async () => {
    const dir = tempDir();
    // The label makes the step images that stay as cache (first-ok) this run's, for its cleanup.
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\nLABEL ${TEST_LABEL}=${runId()} berth.image=custom\nRUN echo first-ok\nRUN echo about-to-fail && exit 3\nRUN echo never\n`);
    const err = await t.berth.images.build({ context: dir, tag: tag('broken'), labels }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    const d = (err as BerthError).details as { step: { index: number; total: number; instruction: string }; lastLines: string[] };
    expect(d.step.index).toBe(4);
    expect(d.step.total).toBeGreaterThanOrEqual(5); // Docker's legacy builder counts the --label steps it appends
    expect(d.step.instruction).toContain('exit 3');
    expect(d.lastLines.join('\n')).toContain('about-to-fail');
    expect(d.lastLines.some((l) => l.trim() === 'never')).toBe(false);
    const run = await t.berth.engineClient.listContainers([], true);
    expect(run.filter((c) => c.State !== 'running' && c.Command.includes('about-to-fail'))).toEqual([]);
    expect((err as Error).message).toContain('exit 3');
  });

  it('refuses bad requests and images berth did not build', async () => {
    await expect(t.berth.images.build({ context: 'relative/dir', tag: 'x:y' })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(t.berth.images.build({ context: MULTISTAGE })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(t.berth.images.build({ variant: 'ubuntu', context: MULTISTAGE, tag: 'x:y' })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(t.berth.images.remove(FIXTURE_IMAGE)).rejects.toMatchObject({ code: 'PolicyDenied' });
    await expect(t.berth.images.remove(`${uniqueName('absent').toLowerCase()}:x`)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(t.berth.sessions.create({ image: FIXTURE_IMAGE, variant: 'ubuntu' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
