import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cliDaemon, type CliDaemon } from '../support/cli.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { berthTerminal } from '../support/terminal.js';

/** Polls `check` until it returns a value, up to `ms`. */
async function until<T>(check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(200);
  }
}

describe(`CLI: berth run with docker's flags (${engineUnderTest()})`, () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-run');
  });
  afterAll(async () => {
    await t?.close();
  });
  const inspect = async (s: string) => JSON.parse((await t.cli(['inspect', s])).stdout) as Record<string, unknown> & { state: string; spec: Record<string, unknown> };

  it('takes IMAGE and COMMAND, with -e -w -u -m -l --ttl; berth logs shows the command\'s output', async () => {
    const r = await t.cli(['run', '--name', 'main', '-e', 'A=from-env', '-w', '/tmp', '-u', '1000', '-m', '64m', '-l', 'team=ml', '--ttl', '5m', '-d',
      FIXTURE_IMAGE, 'sh', '-c', 'echo "out $A $(pwd) $(id -u)"; echo err >&2; exec sleep 1000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^s-[0-9a-f]{12}\n$/);
    const s = await inspect('main');
    expect(s).toMatchObject({ ttlMs: 300_000, labels: { team: 'ml' }, spec: { image: FIXTURE_IMAGE, workdir: '/tmp', user: '1000', env: { A: 'from-env' }, cmd: ['sh', '-c', expect.stringContaining('echo')] } });
    const logs = await until(async () => {
      const l = await t.cli(['logs', 'main']);
      return l.stdout.includes('out') ? l : undefined;
    });
    expect(logs.stdout).toBe('out from-env /tmp 1000\n');
    expect(logs.stderr).toBe('err\n');
    expect((await t.cli(['rm', 'main'])).code).toBe(0);
  });

  it('-v binds a host path (read-only with :ro), --mount too, and -p publishes on loopback by default', async () => {
    // Not beside the daemon's socket: its directory is on the mount deny list.
    const host = mkdtempSync(join(tmpdir(), 'berth-cli-run-host-'));
    onTestFinished(() => rmSync(host, { recursive: true, force: true }));
    writeFileSync(join(host, 'f.txt'), 'from the host\n');
    const r = await t.cli(['run', '--name', 'mounts', '-v', `${host}:/data:ro`, '--mount', `type=bind,source=${host},target=/data2`, '-p', '8080', '-p', '127.0.0.1:0:81/udp',
      '--network', 'bridge', FIXTURE_IMAGE]);
    expect(r.code, r.stderr).toBe(0);
    const s = await inspect('mounts');
    expect(s.spec.mounts).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'bind', source: host, target: '/data', readOnly: true }), expect.objectContaining({ type: 'bind', source: host, target: '/data2' })]));
    expect(s.spec.ports).toEqual([{ containerPort: 8080, hostIp: '127.0.0.1' }, { containerPort: 81, hostIp: '127.0.0.1', protocol: 'udp' }]);
    expect(await t.cli(['exec', 'mounts', 'cat', '/data/f.txt'])).toMatchObject({ code: 0, stdout: 'from the host\n' });
    const write = await t.cli(['exec', 'mounts', 'sh', '-c', 'echo x > /data/new']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/read-only/i);
    expect((await t.cli(['rm', '-f', 'mounts'])).code).toBe(0);
    const bad = await t.cli(['run', '-v', 'just-one-part', FIXTURE_IMAGE]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('--volume');
  });

  it('--rm ends the session when its main process exits', async () => {
    const r = await t.cli(['run', '--rm', '--name', 'oneshot', FIXTURE_IMAGE, 'sh', '-c', 'echo done']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    const s = await until(async () => {
      const x = await inspect(id);
      return x.state === 'ended' ? x : undefined;
    });
    expect(s).toMatchObject({ state: 'ended', endReason: expect.stringContaining('main process exited') });
    // The name is free again at once.
    const again = await t.cli(['run', '--rm', '--name', 'oneshot', FIXTURE_IMAGE, 'true']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('--health-cmd and friends set a health check that berth health reports', async () => {
    const r = await t.cli(['run', '--name', 'healthy', '--health-cmd', 'test -d /tmp', '--health-interval', '1s', '--health-timeout', '2s', '--health-retries', '2', FIXTURE_IMAGE]);
    expect(r.code, r.stderr).toBe(0);
    expect((await inspect('healthy')).spec.healthcheck).toEqual({ cmd: ['sh', '-c', 'test -d /tmp'], intervalMs: 1000, timeoutMs: 2000, retries: 2 });
    const h = await until(async () => {
      const x = JSON.parse((await t.cli(['health', 'healthy', '--json'])).stdout) as { status: string };
      return x.status === 'healthy' ? x : undefined;
    }, 60_000);
    expect(h.status).toBe('healthy');
    const lonely = await t.cli(['run', '--health-retries', '2', FIXTURE_IMAGE]);
    expect(lonely.code).toBe(125);
    expect(lonely.stderr).toContain('--health-cmd');
    expect((await t.cli(['rm', 'healthy'])).code).toBe(0);
  });

  it('-it creates the session and attaches a terminal to its command', async () => {
    const term = berthTerminal(t.socket, ['run', '-it', '--rm', '--name', 'tty', FIXTURE_IMAGE, 'sh']);
    await term.waitFor(/# /, { timeoutMs: 60_000 });
    term.type('echo tty-$((6*7))\r');
    await term.waitFor(/tty-42/);
    term.type('exit 4\r');
    expect(await term.exit).toBe(4);
  });

  it("refuses a memory limit above the host's memory, and unknown options name themselves", async () => {
    const big = await t.cli(['run', '-m', '999999g', FIXTURE_IMAGE]);
    expect(big.code).toBe(125);
    expect(big.stderr).toMatch(/more than this host's .* of memory/);
    const unknown = await t.cli(['run', '--bogus', FIXTURE_IMAGE]);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });

  it('the default template is the Debian base (a real userland), not the test fixture', async () => {
    const r = await t.cli(['run', '--name', 'deb']);
    expect(r.code, r.stderr).toBe(0);
    expect((await inspect('deb')).spec.image).toBe('berth-base:debian-bookworm');
    expect(await t.cli(['exec', 'deb', 'bash', '-c', 'test -s /etc/debian_version && echo debian'])).toMatchObject({ code: 0, stdout: 'debian\n' });
    expect((await t.cli(['rm', 'deb'])).code).toBe(0);
  });
});
