import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { startEngineService, stopEngineService } from '../support/engine-process.js';
import { runId, TEST_LABEL } from '../support/names.js';

// Runs alone, after every other group (vitest.config.ts groupOrder): it restarts the engine.
describe(`engine restart (${engineUnderTest()})`, () => {
  const engine = engineUnderTest();
  const dirs = daemonDirs('engine-restart');
  let daemon: DaemonProcess | undefined;

  afterAll(async () => {
    startEngineService(engine);
    if (daemon) {
      for (const s of await daemon.client.sessions.list({ all: true }).catch(() => [])) await daemon.client.sessions.remove(s.id).catch(() => undefined);
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    dirs.rm();
  });

  it('reconnects the events watcher, reconciles, and shows a container killed meanwhile as no longer running', async () => {
    daemon = await spawnDaemon(dirs);
    const labels = { [TEST_LABEL]: runId() };
    const victim = await daemon.client.sessions.create({ image: FIXTURE_IMAGE, labels });
    const survivor = await daemon.client.sessions.create({ image: FIXTURE_IMAGE, labels });
    const before = (await daemon.client.info()) as { eventStreamConnections: number };
    expect(before.eventStreamConnections).toBe(1);

    await stopEngineService(engine);
    if (engine === 'podman') execFileSync('podman', ['kill', victim.containerName], { stdio: 'pipe' });
    startEngineService(engine);

    await expect
      .poll(async () => ((await daemon!.client.info()) as { eventStreamConnections: number }).eventStreamConnections, { timeout: 30_000, interval: 200 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await daemon!.client.sessions.get(victim.id)).state, { timeout: 15_000, interval: 200 }).toBe('stopped');
    const events = await daemon.client.sessions.events(victim.id);
    expect(events.at(-1)?.reason).toMatch(/engine reports exited|container exited/);

    if (engine === 'docker') {
      // dockerd stops every container when it shuts down (no live-restore): the survivor is stopped too, and can be started.
      await expect.poll(async () => (await daemon!.client.sessions.get(survivor.id)).state, { timeout: 15_000 }).toBe('stopped');
      await daemon.client.sessions.start(survivor.id);
    }
    expect((await daemon.client.sessions.get(survivor.id)).state).toBe('running');
    expect((await daemon.client.sessions.exec(survivor.id, { cmd: ['echo', 'still here'] })).stdout).toBe('still here\n');
    const s = await daemon.client.sessions.create({ image: FIXTURE_IMAGE, labels });
    expect(s.state).toBe('running');
  });
});
