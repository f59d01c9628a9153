import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Berth } from '../../../src/index.js';
import { daemonDirs } from '../../support/daemon.js';
import { runId, TEST_LABEL } from '../../support/names.js';

describe('periodic jobs never overlap themselves', () => {
  const dirs = daemonDirs('adv-local-bounds');
  afterAll(() => dirs.rm());

  it('a TTL sweep asked for while one runs joins it: each expired session is ended once', async () => {
    const berth = await Berth.connect({ backend: 'local', localRoot: join(dirs.dir, 'local'), database: join(dirs.dir, 'b.db') });
    try {
      const made = await Promise.all([1, 2, 3].map(() => berth.sessions.create({ labels: { [TEST_LABEL]: runId() }, ttlMs: 1 })));
      await new Promise((r) => setTimeout(r, 20));
      const first = berth.sessions.sweep();
      const second = berth.sessions.sweep();
      expect(second).toBe(first);
      expect((await first).sort()).toEqual(made.map((s) => s.id).sort());
      for (const s of made) {
        const ends = (await berth.sessions.events(s.id)).filter((e) => e.to === 'ended');
        expect(ends.length, JSON.stringify(ends)).toBe(1);
      }
      expect(await berth.sessions.sweep()).toEqual([]);
    } finally {
      await berth.close();
    }
  });
});
