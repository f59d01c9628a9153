import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { HOSTILE_TARS, outsideState, plantVictims, tarOf } from '../support/hostile-tars.js';
import { runId, TEST_LABEL } from '../support/names.js';

/** Resolves with how long `p` took, in ms; rejects when it takes over `limitMs` (so a hang fails, not stalls, the test). */
async function timed(p: Promise<unknown>, limitMs: number): Promise<number> {
  const t0 = performance.now();
  await Promise.race([p, sleep(limitMs).then(() => Promise.reject(new Error(`still waiting after ${limitMs} ms`)))]);
  return performance.now() - t0;
}

describe(`archives on the engine (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('adv-archives');
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  let client: BerthClient;
  const made: string[] = [];
  const session = async () => {
    const s = await client.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } });
    made.push(s.id);
    return s;
  };

  beforeAll(async () => {
    daemon = await startDaemon(loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {}), silentLogger());
    client = BerthClient.connect({ socketPath: dirs.socket });
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => client.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await daemon?.close();
    dirs.rm();
  });

  it('an upload the client hangs up on mid-archive frees the container: rm returns within 2 s', async () => {
    const s = await session();
    const req = request({ socketPath: dirs.socket, method: 'PUT', path: `/v1/sessions/${s.id}/archive?path=/workspace`, headers: { 'content-type': 'application/x-tar', 'transfer-encoding': 'chunked' } });
    req.on('error', () => undefined);
    // A tar header promising 64 MiB, then only the first 256 KiB of it: the engine waits for the rest.
    const pack = tarOf([{ name: 'big.bin', size: 64 * 1024 * 1024, body: Buffer.alloc(64 * 1024 * 1024) }]);
    let sent = 0;
    for await (const chunk of pack) {
      req.write(chunk as Buffer);
      sent += (chunk as Buffer).length;
      if (sent > 256 * 1024) break;
    }
    await sleep(500);
    req.destroy();
    const ms = await timed(client.sessions.remove(s.id), 20_000);
    console.log(`rm after an aborted upload: ${Math.round(ms)} ms (${engineUnderTest()})`);
    expect(ms).toBeLessThan(2000);
    expect((await client.sessions.get(s.id)).state).toBe('ended');
  });

  it('a copy in whose packing fails (a FIFO on the host) fails and leaves the container free', async () => {
    const s = await session();
    const src = mkdtempSync(join(dirs.dir, 'src-'));
    writeFileSync(join(src, 'a.txt'), 'a');
    execFileSync('mkfifo', [join(src, 'fifo')]);
    for (const run of [() => daemon.berth.files.copyIn(s.id, src, 'in'), () => daemon.berth.files.importDirectory(s.id, src, 'in2'), () => client.files.copyIn(s.id, src, 'in3')]) {
      await expect(timed(run(), 20_000)).rejects.toThrow(/unsupported type|fifo|ended before|aborted|closed/i);
    }
    const ms = await timed(client.sessions.remove(s.id), 20_000);
    expect(ms).toBeLessThan(2000);
  });

  it('copy out of a session holding symlinks out (absolute and climbing) and a FIFO writes nothing outside the host target', async () => {
    const s = await session();
    const host = mkdtempSync(join(dirs.dir, 'host-'));
    try {
      const places = plantVictims(join(host, 'target'));
      const made = await client.sessions.exec(s.id, { cmd: ['sh', '-c', `mkdir -p /tmp/d && ln -s ${places.victim} /tmp/d/abs && ln -s ../../../../victim.txt /tmp/d/up`] });
      expect(made.exitCode).toBe(0);
      const before = outsideState(places);
      const ways = [
        () => client.files.copyOut(s.id, '/tmp/d', places.target),
        () => client.files.exportDirectory(s.id, '/tmp/d', places.target),
        () => daemon.berth.files.copyOut(s.id, '/tmp/d', places.target),
        () => daemon.berth.files.exportDirectory(s.id, '/tmp/d', places.target),
      ];
      for (const run of ways) {
        const err = await run().catch((e: unknown) => e);
        expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
        expect(outsideState(places)).toBe(before);
      }
      expect((await client.sessions.exec(s.id, { cmd: ['sh', '-c', 'rm /tmp/d/abs /tmp/d/up && mkfifo /tmp/d/fifo'] })).exitCode).toBe(0);
      for (const run of ways) {
        const err = await run().catch((e: unknown) => e);
        expect(BerthError.is(err, 'PolicyDenied'), String(err)).toBe(true);
        expect(outsideState(places)).toBe(before);
      }
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
});

describe('archives from whatever answers on the daemon socket (the CLI extracts on its host)', () => {
  const dirs = daemonDirs('adv-fake-daemon');
  let server: Server;
  let current: Parameters<typeof tarOf>[0] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.includes('/archive')) {
        res.writeHead(200, { 'content-type': 'application/x-tar', 'x-berth-path-type': 'directory' });
        tarOf(current, 'top').pipe(res);
      } else {
        res.writeHead(404).end('{"code":"NotFound","message":"no"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(dirs.socket, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    dirs.rm();
  });

  it.each(HOSTILE_TARS.map((t) => [t.name, t] as const))('%s: copyOut and exportDirectory write nothing outside the host target', async (_name, t) => {
    const client = BerthClient.connect({ socketPath: dirs.socket });
    for (const way of ['copyOut', 'exportDirectory'] as const) {
      const base = mkdtempSync(join(dirs.dir, 'case-'));
      const places = plantVictims(join(base, 'target'));
      mkdirSync(places.target, { recursive: true });
      t.setup?.(places);
      current = t.entries(places);
      const before = outsideState(places);
      // `/d/.`: the directory's contents land in the target itself (docker cp's rule), where the planted links are.
      const err = await client.files[way]('s', way === 'copyOut' ? '/d/.' : '/d', places.target).then(() => undefined, (e: unknown) => e);
      if (t.refused) expect(BerthError.is(err, 'PolicyDenied'), `${way}: ${String(err)}`).toBe(true);
      else expect(err, way).toBeUndefined();
      expect(outsideState(places)).toBe(before);
    }
  });
});
