import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Berth, ContainerSpec } from '../../src/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { reconcile } from '../../src/session/reconcile.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

describe(`reconcile (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('reconcile');
  let mine: Berth;
  let other: Berth;
  const labels = { [TEST_LABEL]: runId() };

  beforeAll(async () => {
    mine = await Berth.connect({ engine: engineUnderTest(), database: join(dirs.dataDir, 'a.db'), instance: `t-${runId()}-rec-a` });
    other = await Berth.connect({ engine: engineUnderTest(), instance: `t-${runId()}-rec-b` });
  });
  afterAll(async () => {
    for (const b of [mine, other]) {
      for (const c of await b.containers.list({ all: true })) await b.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true });
      await b.close();
    }
    dirs.rm();
  });

  const run = (graceMs: number) =>
    reconcile({ containers: mine.containers, local: mine.local, repo: mine.repo, sessions: mine.sessions, log: silentLogger(), orphanGraceMs: graceMs });

  it("removes its own orphans after the grace period, never another instance's containers", async () => {
    const spec = () => ContainerSpec.builder().image(FIXTURE_IMAGE).name(uniqueName('orphan')).labels(labels).cmd(['sleep', '3600']).build();
    const orphan = await mine.containers.create(spec());
    const foreign = await other.containers.create(spec());
    expect((await run(60_000)).orphansRemoved).toEqual([]);
    const r = await run(0);
    expect(r.orphansRemoved).toEqual([orphan.name]);
    expect((await orphan.remove()).removed).toBe(false);
    expect((await foreign.inspect()).name).toBe(foreign.name);
  });

  it('adopts running sessions, fixes states the engine changed, and marks vanished ones lost', async () => {
    const a = await mine.sessions.create({ image: FIXTURE_IMAGE, labels });
    const b = await mine.sessions.create({ image: FIXTURE_IMAGE, labels });
    const c = await mine.sessions.create({ image: FIXTURE_IMAGE, labels });
    await mine.containers.handle({ id: b.containerName, name: b.containerName, tty: false }).kill();
    await mine.containers.handle({ id: c.containerName, name: c.containerName, tty: false }).remove({ force: true });
    const r = await run(60_000);
    expect(r.adopted).toContain(a.id);
    expect(r.stateFixed).toContain(b.id);
    expect(r.lost).toContain(c.id);
    expect((await mine.sessions.get(b.id)).state).toBe('stopped');
    expect((await mine.sessions.get(c.id)).state).toBe('lost');
    expect((await mine.sessions.get(a.id)).state).toBe('running');
  });

  it('ends idle sessions on sweep', async () => {
    const s = await mine.sessions.create({ image: FIXTURE_IMAGE, labels, idleTimeoutMs: 200 });
    await mine.sessions.exec(s.id, { cmd: ['true'] });
    expect(await mine.sessions.sweep()).not.toContain(s.id);
    await new Promise((r) => setTimeout(r, 250));
    expect(await mine.sessions.sweep()).toContain(s.id);
    expect((await mine.sessions.get(s.id)).endReason).toBe('idle for 200 ms');
  });
});
