import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { engineCallTimeout, withTimeout } from '../../src/engine/call-timeout.js';

describe('engine call bounds', () => {
  it('every kind of call has a bound but the ones that wait by design', () => {
    for (const what of ['inspect container x', 'list containers', 'ping', 'create container from y', 'start container x', 'exec in container x', 'start exec e', 'logs of container x', 'attach to container x', 'copy /a out of container x', 'remove container x', 'commit container x', 'stats of container x']) {
      expect(engineCallTimeout(what), what).toBeGreaterThan(0);
    }
    expect(engineCallTimeout('wait for container x')).toBe(0);
    expect(engineCallTimeout('copy into container x at /a')).toBe(0);
    // Podman answers the event stream's request only with its first event.
    expect(engineCallTimeout('events')).toBe(0);
  });

  it('a call that never answers is a Timeout and its signal aborts', async () => {
    let seen: AbortSignal | undefined;
    const err = await withTimeout('inspect container hung', 50, (signal) => {
      seen = signal;
      return new Promise(() => undefined);
    }).catch((e: unknown) => e);
    expect(BerthError.is(err, 'Timeout')).toBe(true);
    expect((err as BerthError).message).toMatch(/within 50 ms/);
    expect(seen?.aborted).toBe(true);
  });
});
