import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { loadConfig } from '../../src/daemon/config.js';
import { acquireLock } from '../../src/daemon/lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('layers defaults, the data dir config file, env and flags in that order', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ engine: 'docker', logLevel: 'warn', sweepIntervalMs: 1234, templates: { t: { image: 'x' } } }));
    const c = loadConfig({ dataDir: dir, logLevel: 'debug' }, { BERTH_ENGINE: 'podman', BERTH_SOCKET: '/tmp/x.sock' });
    expect(c).toMatchObject({ engine: 'podman', logLevel: 'debug', sweepIntervalMs: 1234, socket: '/tmp/x.sock', dataDir: dir, templates: { t: { image: 'x' } } });
    expect(loadConfig({ dataDir: dir }, {}).engine).toBe('docker');
  });

  it('lists every bad field', () => {
    let err: unknown;
    try {
      loadConfig({ dataDir: 'relative', engine: 'lxc' as never, tcp: '127.0.0.1:9999' }, {});
    } catch (e) {
      err = e;
    }
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    expect((err as BerthError).details.problems?.map((p) => p.path).sort()).toEqual(['dataDir', 'engine']);
    const noToken = (() => {
      try {
        return loadConfig({ dataDir: dir, tcp: '127.0.0.1:9999' }, {});
      } catch (e) {
        return e;
      }
    })();
    expect((noToken as BerthError).details.problems?.[0]?.path).toBe('token');
  });

  it('rejects a config file that is not JSON, naming it', () => {
    writeFileSync(join(dir, 'config.json'), '{ nope');
    expect(() => loadConfig({ dataDir: dir }, {})).toThrow(/config\.json is not valid JSON/);
  });
});

describe('acquireLock', () => {
  it('refuses a lock held by a live process and takes over a stale one', () => {
    const path = join(dir, 'daemon.lock');
    writeFileSync(path, '1');
    expect(() => acquireLock(path)).toThrow(/another berth daemon \(pid 1\)/);
    writeFileSync(path, '999999999');
    const release = acquireLock(path);
    release();
  });
});
