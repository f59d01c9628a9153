import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import { reconcile, type ReconcileResult } from '../../src/session/reconcile.js';
import { WORKFLOW_LABELS } from '../../src/workflow/session-executor.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

const here = engineUnderTest();
const other = here === 'docker' ? 'podman' : 'docker';
const labels = { [TEST_LABEL]: runId() };
const code = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as BerthError | undefined)?.code;

async function until<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Podman's /version and /info run `podman info` and can take longer than spawnDaemon's 10 s on a loaded machine: a few tries. */
async function patientDaemon(dirs: { dataDir: string; socket: string }): Promise<DaemonProcess> {
  for (let i = 1; ; i++) {
    try {
      return await spawnDaemon(dirs);
    } catch (err) {
      if (i === 4 || !/did not answer/.test(String(err))) throw err;
    }
  }
}

describe(`reconcile attacks (${here})`, () => {
  /** The engine under test, seen directly (not through a daemon): what really exists there. */
  let engine: Berth;
  beforeAll(async () => {
    engine = await Berth.connect({ engine: here });
  });
  afterAll(async () => {
    await engine.close();
  });
  const containerExists = async (name: string) => (await engine.engineClient.listContainers([`${TEST_LABEL}=${runId()}`], true)).some((c) => c.Names?.some((n) => n.replace(/^\//, '') === name));

  it(`a daemon started on ${other} on the same data dir neither loses ${here}'s sessions nor removes their containers`, async () => {
    const dirs = daemonDirs('rec-other');
    // No grace for orphans: on the old code the second start on the first engine removed the containers at once.
    const start = (engine: 'docker' | 'podman') =>
      startDaemon({ ...loadConfig({ engine, dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {}), orphanGraceMs: 0 }, silentLogger());
    let d: RunningDaemon | undefined;
    try {
      d = await start(here);
      const running = await d.berth.sessions.create({ image: FIXTURE_IMAGE, labels });
      const stopped = await d.berth.sessions.create({ image: FIXTURE_IMAGE, labels });
      await d.berth.sessions.stop(stopped.id, { graceSeconds: 0 });
      await d.close();

      d = await start(other);
      const seen = await d.berth.sessions.get(running.id);
      expect(seen.state).toBe('running');
      expect(seen.unreachable).toBe(true);
      expect((await d.berth.sessions.get(stopped.id)).state).toBe('stopped');
      expect((await d.berth.sessions.list()).map((s) => s.id)).toEqual(expect.arrayContaining([running.id, stopped.id]));
      // Acting on them through the wrong engine is refused, not taken for "the container is gone".
      expect(await code(d.berth.sessions.exec(running.id, { cmd: ['true'] }))).toBe('EngineUnavailable');
      expect(await code(d.berth.sessions.remove(running.id))).toBe('EngineUnavailable');
      expect(await code(d.berth.sessions.stop(running.id))).toBe('EngineUnavailable');
      expect(await d.berth.sessions.sweep()).toEqual([]);
      expect((await d.berth.sessions.get(running.id)).state).toBe('running');
      await d.close();
      expect(await containerExists(running.containerName)).toBe(true);
      expect(await containerExists(stopped.containerName)).toBe(true);

      d = await start(here);
      const back = await d.berth.sessions.get(running.id);
      expect(back.state).toBe('running');
      expect(back.unreachable).toBeUndefined();
      expect((await d.berth.sessions.exec(running.id, { cmd: ['echo', 'still here'] })).stdout).toBe('still here\n');
      expect((await d.berth.sessions.start(stopped.id)).state).toBe('running');
      await d.berth.sessions.remove(running.id);
      await d.berth.sessions.remove(stopped.id);
      expect(await containerExists(running.containerName)).toBe(false);
    } finally {
      await d?.close();
      dirs.rm();
    }
  });

  it('a reconcile during a slow create neither fails the session nor removes its container', async () => {
    const dirs = daemonDirs('rec-race');
    const berth = await Berth.connect({ engine: here, database: join(dirs.dataDir, 'b.db'), instance: `t-${runId()}-race` });
    const results: ReconcileResult[] = [];
    try {
      const run = () => reconcile({ containers: berth.containers, networks: berth.networks, local: berth.local, repo: berth.repo, sessions: berth.sessions, log: silentLogger(), orphanGraceMs: 0 });
      // An isolated network makes the window between the `creating` row and the container wide.
      let settled = false;
      const creating = berth.sessions.create({ image: FIXTURE_IMAGE, labels, network: 'isolated' }).then(
        (s) => ((settled = true), s),
        (err: unknown) => ((settled = true), err as Error),
      );
      await until(async () => berth.repo.list({ states: ['creating'] }).length > 0 || settled, 30_000, 'the creating row');
      while (!settled) results.push(await run());
      const s = await creating;
      if (s instanceof Error) throw s;
      expect(s.state).toBe('running');
      results.push(await run());
      expect(results.flatMap((r) => [...r.failed, ...r.lost])).not.toContain(s.id);
      expect(results.flatMap((r) => r.orphansRemoved)).not.toContain(s.containerName);
      expect((await berth.sessions.get(s.id)).state).toBe('running');
      expect((await berth.sessions.exec(s.id, { cmd: ['echo', 'alive'] })).stdout).toBe('alive\n');
      await berth.sessions.remove(s.id);
    } finally {
      for (const c of await berth.containers.list({ all: true })) await berth.containers.handle({ id: c.id, name: c.name, tty: false }).remove({ force: true }).catch(() => undefined);
      await berth.networks.prune().catch(() => undefined);
      await berth.close();
      dirs.rm();
    }
    expect(results.length).toBeGreaterThan(0);
  });

  it('a workflow run interrupted by kill -9 of the daemon leaves no container, network or artifact dir after the next start', async () => {
    const dirs = daemonDirs('rec-wf');
    let d: DaemonProcess | undefined;
    try {
      d = await patientDaemon(dirs);
      const source = [
        'name: interrupted',
        `image: ${FIXTURE_IMAGE}`,
        'steps:',
        '  - { id: make, command: [sh, -c, "echo data > /tmp/out.txt"], artifacts: [/tmp/out.txt] }',
        '  - { id: hang, needs: [make], command: [sleep, "300"] }',
      ].join('\n');
      const run = await d.client.workflows.start({ source, baseDir: dirs.dir, labels });
      const byRun = [`${WORKFLOW_LABELS.run}=${run.id}`];
      await until(async () => (await engine.engineClient.listContainers([...byRun, `${WORKFLOW_LABELS.step}=hang`], false)).length > 0, 60_000, 'the hanging step');
      const artifacts = join(dirs.dataDir, 'workflows', run.id);
      expect(existsSync(join(artifacts, 'make'))).toBe(true);
      d.child.kill('SIGKILL');
      await d.exited;

      d = await patientDaemon(dirs);
      const after = await d.client.workflows.get(run.id);
      expect(after.status).toBe('failed');
      expect(after.error).toMatch(/interrupted/);
      // The step sessions are ended in the background after the start (a stop each).
      await until(async () => (await engine.engineClient.listContainers(byRun, true)).length === 0, 60_000, 'the step containers to go');
      await until(async () => !existsSync(artifacts), 60_000, 'the artifact dir to go');
      expect(await engine.engineClient.networks.list(byRun)).toEqual([]);
      expect(await d.client.sessions.list({ labels: { [WORKFLOW_LABELS.run]: run.id } })).toEqual([]);
    } finally {
      d?.child.kill('SIGTERM');
      await d?.exited;
      dirs.rm();
    }
  });
});
