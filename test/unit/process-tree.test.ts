import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descendants, signalTree } from '../../src/common/process-tree.js';

/** Running (a zombie waiting for its reaper is not). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('process tree', () => {
  it('finds descendants that left the group and kills them with the group', async () => {
    // A child in its own group, with a grandchild in a session of its own (as a container runtime starts one).
    const child = spawn('sh', ['-c', 'sleep 30 & setsid sleep 31 & wait'], { detached: true, stdio: 'ignore' });
    let tree: number[] = [];
    for (let i = 0; i < 50 && tree.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = descendants(child.pid!);
    }
    expect(tree.length).toBeGreaterThanOrEqual(2);
    expect(descendants(999_999_999)).toEqual([]);
    const exited = new Promise((r) => child.once('exit', r));
    signalTree(child.pid, 'SIGKILL');
    await exited;
    for (let i = 0; i < 50 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
    expect(tree.filter(alive)).toEqual([]);
  });
});
