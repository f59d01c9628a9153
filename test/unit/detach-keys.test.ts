import { describe, expect, it } from 'vitest';
import { detachSequence, heldBack } from '../../src/interactive/detach-keys.js';
import { assertShellOptions } from '../../src/interactive/shell-options.js';
import { BerthError } from '../../src/index.js';

describe('detach keys', () => {
  it("turns Docker's notation into bytes", () => {
    expect([...detachSequence('ctrl-p,ctrl-q')]).toEqual([0x10, 0x11]);
    expect([...detachSequence('ctrl-@,a,ctrl-[')]).toEqual([0, 0x61, 0x1b]);
    expect(detachSequence('').length).toBe(0);
  });

  it('holds back only bytes that may start the sequence', () => {
    const seq = detachSequence('ctrl-p,ctrl-q');
    expect(heldBack(Buffer.from('ls\x10'), seq)).toBe(1);
    expect(heldBack(Buffer.from('ls'), seq)).toBe(0);
    expect(heldBack(Buffer.from('\x10x'), seq)).toBe(0);
  });

  it('validates shell options with every problem named', () => {
    const e = (() => {
      try {
        assertShellOptions({ cols: 0, detachKeys: 'ctrl-', cmd: [] });
      } catch (err) {
        return err as BerthError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('InvalidArgument');
    expect(e?.message).toMatch(/cols/);
    expect(e?.message).toMatch(/detachKeys/);
  });
});
