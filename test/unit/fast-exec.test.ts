import { describe, expect, it } from 'vitest';
import { simpleExecArgs } from '../../src/cli/fast-exec.js';
import { LineSplitter } from '../../src/client/ndjson.js';

const argv = (...a: string[]) => ['node', 'berth', ...a];

describe('simpleExecArgs (the CLI fast path for `berth exec`)', () => {
  it('takes exec SESSION -- CMD..., with or without --socket', () => {
    expect(simpleExecArgs(argv('exec', 's1', '--', 'sh', '-c', 'echo hi'))).toEqual({ session: 's1', cmd: ['sh', '-c', 'echo hi'] });
    expect(simpleExecArgs(argv('--socket', '/tmp/b.sock', 'exec', 's1', '--', 'true'))).toEqual({ socket: '/tmp/b.sock', session: 's1', cmd: ['true'] });
    // As docker: options end at the command, so what follows it is the command's.
    expect(simpleExecArgs(argv('exec', 's1', 'true'))).toEqual({ session: 's1', cmd: ['true'] });
    expect(simpleExecArgs(argv('exec', 's1', 'ls', '-la', '/'))).toEqual({ session: 's1', cmd: ['ls', '-la', '/'] });
  });

  it('leaves every other form to the full CLI', () => {
    expect(simpleExecArgs(argv('exec', '-i', 's1', '--', 'cat'))).toBeUndefined();
    expect(simpleExecArgs(argv('exec', 's1', '--'))).toBeUndefined();
    expect(simpleExecArgs(argv('exec'))).toBeUndefined();
    expect(simpleExecArgs(argv('ps'))).toBeUndefined();
    expect(simpleExecArgs(argv('--socket', '/x', 'ps', 'exec', '--', 'a'))).toBeUndefined();
  });
});

describe('LineSplitter (NDJSON over any chunking)', () => {
  it('gives whole lines whatever the chunk boundaries, multi-byte characters included', () => {
    const text = Buffer.from('{"a":"é€"}\n\n{"b":2}\n{"c":"tail"}');
    for (let size = 1; size <= text.length; size++) {
      const s = new LineSplitter();
      const got: string[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...s.push(text.subarray(i, i + size)));
      got.push(...s.end());
      expect(got).toEqual(['{"a":"é€"}', '{"b":2}', '{"c":"tail"}']);
    }
  });
});
