import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpRuleTests } from '../support/cp-rules.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

describe(`berth cp follows docker cp's rules (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('cp-rules');
  let d: DaemonProcess | undefined;
  let session = '';

  beforeAll(async () => {
    d = await spawnDaemon(dirs);
    session = (await d.client.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } })).id;
    mkdirSync(join(dirs.dir, 'host'));
  });
  afterAll(async () => {
    if (session) await d?.client.sessions.remove(session).catch(() => undefined);
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  cpRuleTests(() => ({ socket: dirs.socket, client: d!.client, session, hostDir: join(dirs.dir, 'host') }));

  it("the first hour's cases: a file into an existing directory keeps it, into the base dir works, a directory lands under its own name", async () => {
    const c = d!.client;
    const host = join(dirs.dir, 'hour');
    mkdirSync(join(host, 'proj'), { recursive: true });
    writeFileSync(join(host, 'h.txt'), 'hello host');
    writeFileSync(join(host, 'proj', 'a.txt'), 'A');
    await c.sessions.exec(session, { cmd: ['sh', '-c', 'mkdir -p /workspace/keep && echo precious > /workspace/keep/data.txt'] });
    expect((await runCli(dirs.socket, ['cp', join(host, 'h.txt'), `${session}:/workspace/keep/`])).code).toBe(0);
    expect((await c.files.readFile(session, '/workspace/keep/data.txt')).toString()).toBe('precious\n');
    expect((await c.files.readFile(session, '/workspace/keep/h.txt')).toString()).toBe('hello host');
    expect((await runCli(dirs.socket, ['cp', join(host, 'h.txt'), `${session}:/workspace/`])).code).toBe(0);
    expect((await c.files.readFile(session, '/workspace/h.txt')).toString()).toBe('hello host');
    expect((await runCli(dirs.socket, ['cp', join(host, 'proj'), `${session}:/workspace/`])).code).toBe(0);
    expect((await c.files.readFile(session, '/workspace/proj/a.txt')).toString()).toBe('A');
    const missing = await runCli(dirs.socket, ['cp', join(host, 'h.txt'), `${session}:/workspace/keep2/`]);
    expect(missing.stderr).toContain('[NotFound]');
    expect(await c.files.stat(session, '/workspace/keep2').catch((e: { code: string }) => e.code)).toBe('NotFound');
  });

  it('ctrl-C during cp out of a large file leaves no temporary file beside the target', async () => {
    await d!.client.sessions.exec(session, { cmd: ['sh', '-c', 'head -c 400000000 /dev/zero > /workspace/big.bin'] });
    const out = join(dirs.dir, 'sigint');
    mkdirSync(out);
    const child = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'cp', `${session}:/workspace/big.bin`, join(out, 'big2.bin')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Mid-copy: once the temporary file has taken some bytes.
    for (let i = 0; i < 2000; i++) {
      const tmp = readdirSync(out).find((n) => n.startsWith('.berth-cp-'));
      if (tmp && statSync(join(out, tmp)).size > 1_000_000) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('cancelled');
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, 'big2.bin'))).toBe(false);
  });
});
