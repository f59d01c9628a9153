import { existsSync } from 'node:fs';
import { BerthError } from '../common/errors.js';
import type { EngineHostInfo } from '../engine/types.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { MountValidator } from './mount-validator.js';
import type { MountPolicy } from './mount-policy.js';
import type { Trust } from './trust.js';

/** What every spec must pass before berth asks the engine for a container: its mounts and its runtime. */
export class SpecPolicy {
  readonly mounts: MountValidator;

  /**
   * `host` is what the engine reported at connect: its data directory is denied to mounts,
   * its runtimes are the ones a spec may name (a runtime registered later needs a reconnect).
   */
  constructor(policy: MountPolicy, private readonly host: EngineHostInfo | undefined) {
    this.mounts = new MountValidator({ ...policy, deny: [...(policy.deny ?? []), ...(host?.rootDir ? [host.rootDir] : [])] });
  }

  /**
   * `PolicyDenied` for a mount denied to a caller of `trust` (default operator);
   * `InvalidArgument` for a runtime the engine does not have.
   */
  assertAllowed(spec: ContainerSpec, trust: Trust = 'operator'): void {
    this.mounts.assertAllowed(spec.mounts, trust);
    const binds = (spec.mounts ?? []).some((m) => m.type === 'bind');
    if (binds && spec.restartPolicy && spec.restartPolicy.name !== 'no') {
      throw new BerthError('PolicyDenied', `restartPolicy ${spec.restartPolicy.name} with bind mounts: the engine would start the container again without berth checking the mounts; use restartPolicy no (or a health policy, which berth runs), or drop the bind mounts`, {
        details: { problems: [{ path: 'restartPolicy', message: 'the engine restarts the container without the mount re-check' }] },
      });
    }
    if (spec.runtime && this.host) {
      const path = this.host.runtimes[spec.runtime];
      const missing = path === undefined || (path.startsWith('/') && !existsSync(path));
      if (missing) {
        const have = Object.entries(this.host.runtimes).filter(([, p]) => !p.startsWith('/') || existsSync(p)).map(([n]) => n);
        throw new BerthError('InvalidArgument', `runtime "${spec.runtime}" is not available on the engine (available: ${have.join(', ')}); register it with the engine (e.g. runsc in /etc/docker/daemon.json) and restart berth`, {
          details: { problems: [{ path: 'runtime', message: 'is not registered with the engine' }], available: have },
        });
      }
    }
  }

  /** `spec` checked (see `assertAllowed`), with each bind source replaced by its real path: what the engine is given. */
  resolve(spec: ContainerSpec, trust: Trust = 'operator'): ContainerSpec {
    this.assertAllowed(spec, trust);
    return spec.mounts?.length ? { ...spec, mounts: this.mounts.resolve(spec.mounts, trust) } : spec;
  }
}
