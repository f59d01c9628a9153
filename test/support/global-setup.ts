import type { TestProject } from 'vitest/node';
import { removeRunObjects } from './cleanup.js';

/** Fails fast when the project's engine is not there; removes the run's leftovers at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engine = project.config.env.BERTH_TEST_ENGINE as 'docker' | 'podman';
  return async () => {
    const removed = await removeRunObjects(engine);
    if (removed > 0) console.warn(`[${engine}] global teardown removed ${removed} leftover container(s), volume(s) and network(s) of run ${process.env.BERTH_TEST_RUN}`);
  };
}
