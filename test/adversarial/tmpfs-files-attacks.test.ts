import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

/** A tar whose entries climb out of the directory they are extracted into. */
async function escapingTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'dir/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'dir/../../escaped.txt', mode: 0o644 }, 'pwned');
  pack.entry({ name: 'dir/link', type: 'symlink', linkname: '/etc' });
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Files on a tmpfs go through tar run inside the session, and the session's contents are
 * untrusted: a session that swaps its own `tar` for one that answers with a hostile
 * archive must not get anything written outside the target of `berth cp` on the host.
 */
describe(`tmpfs paths through exec'd tar (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('tmpfs-attacks');
  let d: DaemonProcess | undefined;
  let session = '';

  beforeAll(async () => {
    d = await spawnDaemon(dirs);
    session = (await d.client.sessions.create({ image: FIXTURE_IMAGE, volumes: { workspace: { type: 'tmpfs', size: '16m' } }, labels: { [TEST_LABEL]: runId() } })).id;
  });
  afterAll(async () => {
    if (session) await d?.client.sessions.remove(session).catch(() => undefined);
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  it('a session that replaces tar with one emitting ../ entries and an outward symlink gets nothing out of the cp target', async () => {
    const c = d!.client;
    await c.files.writeFile(session, '/workspace/evil.tar', await escapingTar());
    const r = await c.sessions.exec(session, {
      cmd: ['sh', '-c', 'mkdir -p /workspace/dir && echo real > /workspace/dir/f && rm /bin/tar && printf "#!/bin/sh\\ncat /workspace/evil.tar\\n" > /bin/tar && chmod 755 /bin/tar'],
    });
    expect(r.exitCode).toBe(0);
    const host = join(dirs.dir, 'victim');
    mkdirSync(host);
    const out = await runCli(dirs.socket, ['cp', `${session}:/workspace/dir`, join(host, 'target')]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('[PolicyDenied]');
    expect(existsSync(join(dirs.dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(host, 'escaped.txt'))).toBe(false);
    expect(readdirSync(host).every((n) => n === 'target')).toBe(true);
    if (existsSync(join(host, 'target'))) expect(readdirSync(join(host, 'target'))).not.toContain('link');
  });
});
