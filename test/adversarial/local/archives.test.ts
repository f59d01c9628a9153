import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../../src/index.js';
import { BerthClient } from '../../../src/client/client.js';
import { open } from '../../../src/client/http.js';
import { silentLogger } from '../../../src/common/logger.js';
import { loadConfig } from '../../../src/daemon/config.js';
import { startDaemon } from '../../../src/daemon.js';
import type { FilesApi } from '../../../src/files/files-api.js';
import type { SessionsApi } from '../../../src/session/sessions-api.js';
import { daemonDirs } from '../../support/daemon.js';
import { HOSTILE_TARS, outsideState, plantVictims, tarOf, type HostileTar } from '../../support/hostile-tars.js';
import { runId, TEST_LABEL } from '../../support/names.js';

const NO_ENGINE = '/nonexistent/berth-test-no-engine.sock';

interface Backend {
  sessions: SessionsApi;
  files: FilesApi;
  /** PUT /archive (or its in-process twin): the hostile tar lands in the session at `dir`. */
  importTar(session: string, dir: string, t: HostileTar, places: Parameters<HostileTar['entries']>[0]): Promise<void>;
  close(): Promise<void>;
}

const backends: Array<[string, (d: ReturnType<typeof daemonDirs>) => Promise<Backend>]> = [
  [
    'in-process',
    async (d) => {
      const berth = await Berth.connect({ backend: 'local', localRoot: join(d.dir, 'local'), database: join(d.dir, 'b.db') });
      return {
        sessions: berth.sessions,
        files: berth.files,
        importTar: (s, dir, t, p) => berth.files.importArchive(s, dir, tarOf(t.entries(p))),
        close: () => berth.close(),
      };
    },
  ],
  [
    'daemon HTTP API',
    async (d) => {
      const config = loadConfig({ backend: 'local', engineSocket: NO_ENGINE, dataDir: d.dataDir, socket: d.socket, logLevel: 'silent' }, {});
      const daemon = await startDaemon(config, silentLogger());
      const c = BerthClient.connect({ socketPath: d.socket });
      return {
        sessions: c.sessions,
        files: c.files,
        importTar: async (s, dir, t, p) => {
          const res = await open({ socketPath: d.socket }, 'PUT', `/v1/sessions/${s}/archive?path=${encodeURIComponent(dir)}`, { contentType: 'application/x-tar', data: tarOf(t.entries(p)) });
          const text = await new Promise<string>((resolve) => {
            let b = '';
            res.on('data', (x: Buffer) => (b += x.toString()));
            res.on('end', () => resolve(b));
          });
          if ((res.statusCode ?? 500) >= 400) {
            const j = JSON.parse(text) as { code: string; message: string };
            throw new BerthError(j.code as never, j.message);
          }
        },
        close: () => daemon.close(),
      };
    },
  ],
];

describe.each(backends)('local backend archives through %s', (_label, make) => {
  let b: Backend;
  const dirs = daemonDirs('adv-local-tar');
  const made: string[] = [];
  const session = async () => {
    const s = await b.sessions.create({ labels: { [TEST_LABEL]: runId() } });
    made.push(s.id);
    return s;
  };

  beforeAll(async () => {
    b = await make(dirs);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => b.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await b?.close();
    dirs.rm();
  });

  it.each(HOSTILE_TARS.map((t) => [t.name, t] as const))('import of a tar with %s writes nothing outside the sandbox', async (_name, t) => {
    const s = await session();
    const places = plantVictims(s.baseDir);
    t.setup?.(places);
    const before = outsideState(places);
    const err = await b.importTar(s.id, s.baseDir, t, places).then(() => undefined, (e: unknown) => e);
    if (t.refused) expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
    else expect(err).toBeUndefined();
    expect(outsideState(places)).toBe(before);
  });

  it('import into a directory a command replaced with a symlink out is refused', async () => {
    const s = await session();
    const places = plantVictims(s.baseDir);
    symlinkSync(places.outside, join(s.baseDir, 'in'));
    const before = outsideState(places);
    const err = await b.importTar(s.id, join(s.baseDir, 'in'), { name: 'plain', refused: true, entries: () => [{ name: 'new.txt', body: 'x' }] }, places).catch((e: unknown) => e);
    expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
    expect(outsideState(places)).toBe(before);
  });

  it('copy out of a sandbox holding links out, a climbing link or a FIFO writes nothing outside the host target', async () => {
    const s = await session();
    const host = mkdtempSync(join(dirs.dir, 'host-'));
    try {
      const places = plantVictims(join(host, 'target'));
      const d = join(s.baseDir, 'd');
      mkdirSync(d);
      symlinkSync(places.victim, join(d, 'abs'));
      symlinkSync('../../victim.txt', join(d, 'up'));
      const before = outsideState(places);
      const ways = [() => b.files.copyOut(s.id, 'd', places.target), () => b.files.exportDirectory(s.id, 'd', places.target)];
      for (const run of ways) {
        const err = await run().catch((e: unknown) => e);
        expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
        expect(outsideState(places)).toBe(before);
      }
      // A FIFO: refused by the packer or the extractor, whichever meets it first; an error either way.
      execFileSync('mkfifo', [join(d, 'fifo')]);
      for (const run of ways) {
        await expect(run()).rejects.toThrow();
        expect(outsideState(places)).toBe(before);
      }
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
});
