import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BerthError } from '../../src/index.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BerthError).code;

/**
 * A strict session's /workspace is a tmpfs, which the engine's archive endpoints do not
 * see (Docker): every files operation, cp, export/import and fork must see what a
 * command in the session sees. Each case failed on the old code.
 */
describe(`files on a strict session (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('strict-files');
  let d: DaemonProcess | undefined;
  const made: string[] = [];
  const strict = async (extra: Record<string, unknown> = {}) => {
    const s = await d!.client.sessions.create({ image: FIXTURE_IMAGE, security: 'strict', labels: { [TEST_LABEL]: runId() }, ...extra });
    made.push(s.id);
    return s.id;
  };
  const sh = async (id: string, script: string) => {
    const r = await d!.client.sessions.exec(id, { cmd: ['sh', '-c', script] });
    expect(r.stderr).toBe('');
    return r;
  };

  beforeAll(async () => {
    d = await spawnDaemon(dirs);
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => d?.client.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  it('lists, stats, reads, writes, makes and deletes what a command in the session sees', async () => {
    const id = await strict();
    const f = d!.client.files;
    await sh(id, 'echo hi > /workspace/f && mkdir -p /workspace/d/e && echo x > /workspace/d/.hidden');
    const ls = await runCli(dirs.socket, ['files', 'ls', id]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('/workspace/f');
    expect(ls.stdout).toContain('/workspace/d');
    expect((await f.listDirectory(id, '.')).map((e) => [e.name, e.type])).toEqual([['d', 'directory'], ['f', 'file']]);
    expect((await f.listDirectory(id, 'd', { recursive: true })).map((e) => e.path)).toEqual(['/workspace/d/.hidden', '/workspace/d/e']);
    expect(await f.stat(id, 'f')).toMatchObject({ type: 'file', size: 3, path: '/workspace/f' });
    expect((await f.readFile(id, 'f')).toString()).toBe('hi\n');
    await f.writeFiles(id, [{ path: 'w/one.txt', content: 'one' }, { path: 'w/two.txt', content: 'two', mode: 0o600 }]);
    expect((await sh(id, 'cat /workspace/w/one.txt /workspace/w/two.txt; stat -c %a /workspace/w/two.txt')).stdout).toBe('onetwo600\n');
    await f.mkdir(id, 'm/n');
    await sh(id, 'test -d /workspace/m/n');
    await f.deleteFile(id, 'm', { recursive: true });
    await sh(id, 'test ! -e /workspace/m');
    expect(await code(f.readFile(id, 'nope'))).toBe('NotFound');
    expect(await code(f.deleteFile(id, 'd'))).toBe('Conflict');
  });

  it('cp in and out of the workspace through the CLI, files and directories', async () => {
    const id = await strict();
    const host = join(dirs.dir, `cp-${id}`);
    mkdirSync(join(host, 'proj', 'sub'), { recursive: true });
    writeFileSync(join(host, 'h.txt'), 'hello host');
    writeFileSync(join(host, 'proj', 'sub', 'b.txt'), 'B');
    expect((await runCli(dirs.socket, ['cp', join(host, 'h.txt'), `${id}:/workspace/h.txt`])).code).toBe(0);
    expect((await runCli(dirs.socket, ['cp', join(host, 'proj'), `${id}:/workspace/`])).code).toBe(0);
    expect((await sh(id, 'cat /workspace/h.txt /workspace/proj/sub/b.txt')).stdout).toBe('hello hostB');
    await sh(id, 'echo made inside > /workspace/f');
    mkdirSync(join(host, 'out'));
    const out = await runCli(dirs.socket, ['cp', `${id}:/workspace/f`, join(host, 'out') + '/']);
    expect(out.stderr).not.toContain('error');
    expect(readFileSync(join(host, 'out', 'f'), 'utf8')).toBe('made inside\n');
    expect((await runCli(dirs.socket, ['cp', `${id}:/workspace/proj`, join(host, 'out')])).code).toBe(0);
    expect(readFileSync(join(host, 'out', 'proj', 'sub', 'b.txt'), 'utf8')).toBe('B');
    expect((await runCli(dirs.socket, ['cp', `${id}:/workspace/nope`, join(host, 'out')])).stderr).toContain('[NotFound]');
  });

  it('exports and imports a directory of the workspace', async () => {
    const id = await strict();
    await sh(id, 'mkdir -p /workspace/src/deep && echo 1 > /workspace/src/deep/one');
    const out = join(dirs.dir, `export-${id}`);
    const r = await d!.client.files.exportDirectory(id, 'src', out);
    expect(r.files).toBe(1);
    expect(readFileSync(join(out, 'deep', 'one'), 'utf8')).toBe('1\n');
    await d!.client.files.importDirectory(id, out, 'copy');
    expect((await sh(id, 'cat /workspace/copy/deep/one')).stdout).toBe('1\n');
  });

  it("fork carries the workspace's and /tmp's contents (tmpfs, left out of an engine commit)", async () => {
    const id = await strict();
    await sh(id, 'mkdir -p /workspace/p && echo state > /workspace/p/s.txt && echo dot > /workspace/.dot && echo t > /tmp/t.txt');
    const fork = await runCli(dirs.socket, ['fork', id]);
    if (engineUnderTest() === 'podman') {
      // A strict session has a user namespace of its own on Podman; its fork is refused loudly.
      expect(fork.code).toBe(125);
      expect(fork.stderr).toContain('[Conflict]');
      expect(fork.stderr).toContain('cannot be forked yet');
      return;
    }
    expect(fork.code).toBe(0);
    const child = fork.stdout.trim();
    made.push(child);
    expect((await sh(child, 'cat /workspace/p/s.txt /workspace/.dot /tmp/t.txt')).stdout).toBe('state\ndot\nt\n');
    const ls = await d!.client.files.listDirectory(child, '.');
    expect(ls.map((e) => e.name)).toEqual(['.dot', 'p']);
  });

  it('an empty workspace forks, and a write to the read-only root is refused with the reason', async () => {
    const id = await strict({ confine: false });
    if (engineUnderTest() === 'podman') {
      expect(await code(d!.client.sessions.fork(id))).toBe('Conflict');
    } else {
      const fork = await d!.client.sessions.fork(id);
      made.push(fork.id);
      expect(await d!.client.files.listDirectory(fork.id, '/workspace')).toEqual([]);
    }
    const host = join(dirs.dir, `ro-${id}`);
    mkdirSync(host);
    writeFileSync(join(host, 'h.txt'), 'x');
    const r = await runCli(dirs.socket, ['cp', join(host, 'h.txt'), `${id}:/etc/`]);
    expect(r.stderr).toContain('[PolicyDenied]');
    expect(r.stderr).toContain('read-only root');
    expect(await code(d!.client.files.writeFile(id, '/h.txt', 'x'))).toBe('PolicyDenied');
    expect(readdirSync(host)).toEqual(['h.txt']);
    // Reads of the root still go through the engine's archive endpoint.
    expect(await d!.client.files.stat(id, '/bin/busybox')).toMatchObject({ type: 'file' });
  });
});
