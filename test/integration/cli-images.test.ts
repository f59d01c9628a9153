import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentHash, DEBIAN_BASE_IMAGE, variantDockerfile } from '../../src/image/variants.js';
import { LABELS } from '../../src/common/labels.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

describe(`variant images are reused whatever base built them (${engineUnderTest()})`, () => {
  const t = useBerth();
  const dir = mkdtempSync(join(tmpdir(), 'berth-variant-'));
  const tags: string[] = [];
  afterAll(async () => {
    for (const tag of tags) await t.berth.images.remove(tag, { force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ensureBaseImage (berth run --variant) takes an image install.sh built with --base as current, no rebuild', async () => {
    // Stands in for `berth image build --variant ubuntu --base berth-base:debian-bookworm`: the same labels, on the fixture.
    const tag = `${uniqueName('variant').toLowerCase()}:ubuntu`;
    tags.push(tag);
    const ctx = join(dir, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\n`);
    const hash = contentHash(readFileSync(variantDockerfile('ubuntu'), 'utf8'), { BASE_IMAGE: DEBIAN_BASE_IMAGE });
    await t.berth.images.build({ context: ctx, tag, labels: { [TEST_LABEL]: runId(), [LABELS.image]: 'ubuntu', [LABELS.imageHash]: hash } });
    const r = await t.berth.images.ensureBaseImage('ubuntu', { tag });
    expect(r).toMatchObject({ image: tag, built: false, steps: 0 });
  });
});
