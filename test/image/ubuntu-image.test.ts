import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth } from '../../src/index.js';
import type { BuildEvent } from '../../src/image/build-progress.js';
import { engineUnderTest, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

/** Made by scripts/debian-base.sh (bootstrap): Debian 12 minbase, imported on both engines. */
const DEBIAN_BASE = 'berth-base:debian-bookworm';

/**
 * The slow one: container/Dockerfile (Ubuntu 22.04 by default) built on the local Debian
 * base through BASE_IMAGE, with apt from Debian's mirror over the default build network.
 * The variant image (`berth-image:ubuntu`) is kept between runs as the cache that its
 * content-hash label is for: a second run finds it current and builds nothing.
 */
describe(`the Ubuntu Dockerfile on the Debian base (${engineUnderTest()})`, () => {
  const t = useBerth();
  let built: Awaited<ReturnType<Berth['images']['ensureBaseImage']>>;
  const events: BuildEvent[] = [];

  beforeAll(async () => {
    expect(await t.berth.engineClient.imageExists(DEBIAN_BASE), `${DEBIAN_BASE} is missing: run scripts/debian-base.sh`).toBe(true);
    built = await t.berth.images.ensureBaseImage('ubuntu', { baseImage: DEBIAN_BASE, onEvent: (e) => events.push(e) });
  });

  it('is built (or found current) with its hash label, and a second ensure is a no-op', async () => {
    expect(built.image).toBe('berth-image:ubuntu');
    if (built.built) {
      expect(events.some((e) => e.type === 'step' && e.step.instruction.includes('apt-get install'))).toBe(true);
      expect(built.steps).toBeGreaterThanOrEqual(10);
    }
    const img = await t.berth.engineClient.inspectImage(built.image);
    expect(img?.labels).toMatchObject({ 'berth.managed': 'true', 'berth.image': 'ubuntu', 'berth.image.hash': built.hash });
    const again = await t.berth.images.ensureBaseImage('ubuntu', { baseImage: DEBIAN_BASE });
    expect(again).toMatchObject({ built: false, imageId: built.imageId, hash: built.hash });
    expect((await t.berth.images.list()).find((i) => i.tags.includes('berth-image:ubuntu'))).toMatchObject({ variant: 'ubuntu', hash: built.hash });
  });

  it('runs as berth (uid 1000) in /workspace, with tini as PID 1 and the tools present', async () => {
    const c = t.track(await t.berth.containers.create(t.spec('ubuntu').image(built.image).init(false).cmd(['sleep', '3600']).build()));
    await c.start();
    const sh = async (script: string) => {
      const r = await c.exec({ cmd: ['sh', '-c', script], timeoutMs: 30_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(await sh('id -u berth')).toBe('1000');
    expect(await sh('id -un')).toBe('berth');
    expect(await sh('pwd')).toBe('/workspace');
    expect(await sh('stat -c %U:%a /workspace')).toBe('berth:755');
    expect(await sh('cat /proc/1/comm')).toBe('tini');
    expect((await sh('for t in bash git curl python3 make gcc g++ tini; do command -v $t; done')).split('\n')).toHaveLength(8);
    expect(await sh('python3 -c "print(6*7)"')).toBe('42');
    expect(await sh('printf "int main(){return 0;}" > /tmp/a.c && gcc -o /tmp/a /tmp/a.c && /tmp/a && echo built')).toBe('built');
    expect(await sh('ls /var/lib/apt/lists | grep -v -e ^lock$ -e ^partial$ | wc -l')).toBe('0');
    expect(await sh('touch /workspace/f && stat -c %u /workspace/f')).toBe('1000');
  });
});

describe(`sessions from a variant (${engineUnderTest()})`, () => {
  let berth: Berth;
  const made: string[] = [];
  beforeAll(async () => {
    berth = await Berth.connect({ engine: engineUnderTest(), instance: `test-${runId()}`, baseImages: { ubuntu: DEBIAN_BASE } });
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => berth.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await berth?.close();
  });

  it("a session naming variant 'ubuntu' runs the variant image as berth, with the image's tini as PID 1", async () => {
    const s = await berth.sessions.create({ name: uniqueName('variant'), variant: 'ubuntu', labels: { [TEST_LABEL]: runId() } });
    made.push(s.id);
    expect(s.state).toBe('running');
    expect(s.spec.image).toBe('berth-image:ubuntu');
    const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'id -u; pwd; cat /proc/1/comm; git --version >/dev/null && echo git'] });
    expect(r).toMatchObject({ exitCode: 0 });
    expect(r.stdout.split('\n')).toEqual(['1000', '/workspace', 'tini', 'git', '']);
  });
});
