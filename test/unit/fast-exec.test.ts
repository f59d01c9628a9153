import { describe, expect, it } from 'vitest';
import { simpleExecArgs } from '../../src/cli/fast-exec.js';

const argv = (...a: string[]) => ['node', 'berth', ...a];

describe('simpleExecArgs (the CLI fast path for `berth exec`)', () => {
  it('takes exec SESSION -- CMD..., with or without --socket', () => {
    expect(simpleExecArgs(argv('exec', 's1', '--', 'sh', '-c', 'echo hi'))).toEqual({ session: 's1', cmd: ['sh', '-c', 'echo hi'] });
    expect(simpleExecArgs(argv('--socket', '/tmp/b.sock', 'exec', 's1', '--', 'true'))).toEqual({ socket: '/tmp/b.sock', session: 's1', cmd: ['true'] });
  });

  it('leaves every other form to the full CLI', () => {
    expect(simpleExecArgs(argv('exec', '-i', 's1', '--', 'cat'))).toBeUndefined();
    expect(simpleExecArgs(argv('exec', 's1', 'true'))).toBeUndefined();
    expect(simpleExecArgs(argv('exec', 's1', '--'))).toBeUndefined();
    expect(simpleExecArgs(argv('exec'))).toBeUndefined();
    expect(simpleExecArgs(argv('ps'))).toBeUndefined();
    expect(simpleExecArgs(argv('--socket', '/x', 'ps', 'exec', '--', 'a'))).toBeUndefined();
  });
});
