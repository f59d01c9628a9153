import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

// One id per test run, shared by workers (env is inherited) and the global teardown,
// which removes anything a failed test left behind with this run's label.
process.env.BERTH_TEST_RUN ??= randomBytes(4).toString('hex');

const integration = (engine: 'docker' | 'podman', group: 'integration' | 'adversarial' | 'engine-restart' | 'image' = 'integration') => ({
  extends: true as const,
  test: {
    name: `${group}-${engine}`,
    include: [`test/${group}/**/*.test.ts`],
    // The adversarial suite's local-backend cases need no engine: they run in the local project.
    exclude: ['test/adversarial/local/**'],
    // The engine-restart group restarts the engines, so it runs alone, after the rest.
    sequence: { groupOrder: group === 'engine-restart' ? (engine === 'docker' ? 1 : 2) : 0 },
    env: { BERTH_TEST_ENGINE: engine },
    globalSetup: ['test/support/global-setup.ts'],
    // The image group builds the Ubuntu Dockerfile with apt (minutes on a cold cache).
    testTimeout: group === 'image' ? 900_000 : 120_000,
    hookTimeout: group === 'image' ? 300_000 : 60_000,
  },
});

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The local backend needs no engine: its own project, with the run label's cleanup.
      { extends: true, test: { name: 'local', include: ['test/local/**/*.test.ts', 'test/adversarial/local/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 } },
      integration('docker'),
      integration('podman'),
      integration('docker', 'adversarial'),
      integration('podman', 'adversarial'),
      integration('docker', 'image'),
      integration('podman', 'image'),
      integration('docker', 'engine-restart'),
      integration('podman', 'engine-restart'),
    ],
  },
});
