import { describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { engineUnderTest } from '../support/engine.js';

describe(`detection (${engineUnderTest()})`, () => {
  it('finds the engine asked for and reports it from /version', async () => {
    const berth = await Berth.connect({ engine: engineUnderTest() });
    try {
      expect(berth.engine?.kind).toBe(engineUnderTest());
      expect(berth.engine?.version).toMatch(/^\d+\.\d+/);
      expect(berth.engine?.apiVersion).toMatch(/^\d+\.\d+$/);
      expect(berth.engine?.socketPath).toMatch(/\.sock$/);
      expect(['1', '2']).toContain(berth.engine?.cgroupVersion);
      expect(berth.engine?.os).toBe('linux');
    } finally {
      await berth.close();
    }
  });

  it('connects through an explicit socket path and reads the kind from the engine, not the path', async () => {
    const found = await Berth.connect({ engine: engineUnderTest() });
    const again = await Berth.connect({ socketPath: `unix://${found.engine?.socketPath}` });
    try {
      expect(again.engine?.kind).toBe(found.engine?.kind);
      expect(again.engine?.source).toBe('option');
    } finally {
      await Promise.all([found.close(), again.close()]);
    }
  });

  it('rejects an explicit socket of the other kind with EngineUnavailable naming what answered', async () => {
    const found = await Berth.connect({ engine: engineUnderTest() });
    const other = engineUnderTest() === 'docker' ? 'podman' : 'docker';
    const err = await Berth.connect({ engine: other, socketPath: found.engine?.socketPath }).catch((e: unknown) => e);
    await found.close();
    expect(BerthError.is(err, 'EngineUnavailable')).toBe(true);
    expect((err as BerthError).message).toContain(`is ${engineUnderTest()}`);
  });
});
