import { afterAll, afterEach, beforeAll } from 'vitest';
import { Berth, ContainerSpec, type Container, type ContainerSpecBuilder } from '../../src/index.js';
import { runId, TEST_LABEL, uniqueName } from './names.js';

export const FIXTURE_IMAGE = 'berth-fixture:busybox';

/** The engine this integration project runs against; the suite fails without one. */
export function engineUnderTest(): 'docker' | 'podman' {
  const e = process.env.BERTH_TEST_ENGINE;
  if (e !== 'docker' && e !== 'podman') throw new Error('BERTH_TEST_ENGINE must be docker or podman');
  return e;
}

export interface TestBerth {
  /** The connected client (after beforeAll). */
  readonly berth: Berth;
  /** A builder on the fixture image with a unique name and the test label, running `sleep 3600`. */
  spec(hint: string): ContainerSpecBuilder;
  /** Creates and starts a container from `spec(hint)`, adjusted by `tweak`; removed after the test. */
  running(hint: string, tweak?: (b: ContainerSpecBuilder) => void): Promise<Container>;
  /** Removes `c` after the test, pass or fail. */
  track(c: Container): Container;
}

/**
 * Connects to the engine under test (in beforeAll; no engine → the suite fails) and
 * removes every container a test makes after each test, pass or fail.
 */
export function useBerth(): TestBerth {
  let client: Berth | undefined;
  const made: Container[] = [];
  beforeAll(async () => {
    client = await Berth.connect({ engine: engineUnderTest(), instance: `test-${runId()}` });
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((c) => c.remove({ force: true }).catch(() => undefined)));
  });
  afterAll(async () => {
    await client?.close();
  });
  const t: TestBerth = {
    get berth() {
      if (!client) throw new Error('not connected: useBerth() must be called at the top of a describe');
      return client;
    },
    spec: (hint) =>
      ContainerSpec.builder().image(FIXTURE_IMAGE).name(uniqueName(hint)).labels(TEST_LABEL, runId()).cmd(['sleep', '3600']),
    track: (c) => {
      made.push(c);
      return c;
    },
    running: async (hint, tweak) => {
      const b = t.spec(hint);
      tweak?.(b);
      const c = t.track(await t.berth.containers.create(b.build()));
      await c.start();
      return c;
    },
  };
  return t;
}
