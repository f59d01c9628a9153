/** Label put on every object a test creates; its value is the run id. */
export const TEST_LABEL = 'berth.test.run';

let counter = 0;

export function runId(): string {
  const id = process.env.BERTH_TEST_RUN;
  if (!id) throw new Error('BERTH_TEST_RUN is not set: run the tests through vitest.config.ts');
  return id;
}

/** A name unique to this run, worker and call: `berth-t-<run>-<worker>-<n>-<hint>`. */
export function uniqueName(hint: string): string {
  counter += 1;
  const worker = process.env.VITEST_POOL_ID ?? '0';
  return `berth-t-${runId()}-${worker}-${counter}-${hint}`.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 120);
}
