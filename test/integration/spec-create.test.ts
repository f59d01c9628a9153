import { describe, expect, it } from 'vitest';
import { engineUnderTest, useBerth } from '../support/engine.js';

describe(`spec mapping on the engine (${engineUnderTest()})`, () => {
  const t = useBerth();

  it('applies workdir, user, hostname, env, tmpfs, read-only root and a restart policy', async () => {
    const c = await t.running('mapping', (b) =>
      b
        .workdir('/workspace')
        .user('65534:65534')
        .hostname('sandbox1')
        .env({ A: '1', B: 'two words' })
        .tmpfs('/scratch', 'size=16m')
        .readOnlyRootfs()
        .restartPolicy({ name: 'on-failure', maxRetries: 2 })
        .cpus(0.5),
    );
    const r = await c.exec({ cmd: ['sh', '-c', 'echo "$(pwd)|$(id -u)|$(hostname)|$A|$B"; touch /x 2>/dev/null || echo ro; touch /scratch/ok && echo rw'] });
    expect(r.stdout).toBe('/workspace|65534|sandbox1|1|two words\nro\nrw\n');
    const info = await t.berth.engineClient.inspectContainer(c.id);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('on-failure');
    expect(info.HostConfig.RestartPolicy?.MaximumRetryCount).toBe(2);
  });
});
