import { describe, expect, it } from 'vitest';
import { BerthError, LABELS } from '../../src/index.js';
import { engineUnderTest, FIXTURE_IMAGE, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

describe(`lifecycle (${engineUnderTest()})`, () => {
  const t = useBerth();

  it('creates, starts, inspects, pauses, restarts, stops and removes a container', async () => {
    const c = t.track(await t.berth.containers.create(t.spec('life').build()));
    expect((await c.inspect()).status).toBe('created');
    expect(await c.start()).toEqual({ wasStopped: true });
    expect(await c.start()).toEqual({ wasStopped: false });
    const s = await c.inspect();
    expect(s.running).toBe(true);
    expect(s.image).toBe(FIXTURE_IMAGE);
    expect(s.name).toBe(c.name);
    expect(s.labels[LABELS.managed]).toBe('true');
    expect(s.labels[LABELS.instance]).toBe(`test-${runId()}`);

    await c.pause();
    expect((await c.inspect()).status).toBe('paused');
    await c.unpause();
    expect((await c.inspect()).status).toBe('running');

    const before = (await c.inspect()).startedAt;
    await c.restart({ graceSeconds: 1 });
    const after = await c.inspect();
    expect(after.running).toBe(true);
    expect(after.startedAt).not.toBe(before);

    expect(await c.stop({ graceSeconds: 1 })).toEqual({ wasRunning: true });
    expect(await c.stop()).toEqual({ wasRunning: false });
    expect((await c.inspect()).running).toBe(false);

    expect(await c.remove()).toEqual({ removed: true });
    expect(await c.remove()).toEqual({ removed: false });
    expect(await c.stop()).toEqual({ wasRunning: false });
    const err = await c.start().catch((e: unknown) => e);
    expect(BerthError.is(err, 'NotFound')).toBe(true);
    const err2 = await c.inspect().catch((e: unknown) => e);
    expect(BerthError.is(err2, 'NotFound')).toBe(true);
  });

  it('kills with a signal and wait returns the exit code', async () => {
    const c = await t.running('kill');
    const waited = c.wait();
    await c.kill({ signal: 'SIGKILL' });
    expect((await waited).exitCode).toBe(137);
    const s = await c.inspect();
    expect(s.running).toBe(false);
    expect(s.exitCode).toBe(137);
  });

  it('wait returns the exit code of a command that ends by itself', async () => {
    const c = await t.running('wait', (b) => b.cmd(['sh', '-c', 'exit 7']));
    expect((await c.wait()).exitCode).toBe(7);
  });

  it('keeps stdout and stderr apart in logs, and follows', async () => {
    const c = await t.running('logs', (b) =>
      b.cmd(['sh', '-c', 'echo out1; echo err1 >&2; sleep 1; echo out2; echo err2 >&2; sleep 3600']),
    );
    const follow = await c.logs({ follow: true });
    const seen: string[] = [];
    follow.stdout.on('data', (d: Buffer) => seen.push(`o:${d.toString()}`));
    follow.stderr.on('data', (d: Buffer) => seen.push(`e:${d.toString()}`));
    await expect.poll(() => seen.join(''), { timeout: 10_000 }).toContain('out2');
    await expect.poll(() => seen.join(''), { timeout: 10_000 }).toContain('err2');
    follow.close();
    expect(seen.join('')).toContain('o:out1');
    expect(seen.join('')).toContain('e:err1');

    const logs = await c.readLogs();
    expect(logs.stdout).toBe('out1\nout2\n');
    expect(logs.stderr).toBe('err1\nerr2\n');
    const tail = await c.readLogs({ tail: 2 });
    expect(tail).toEqual({ stdout: 'out2\n', stderr: 'err2\n' });
  });

  it('applies the hardened defaults', async () => {
    const c = await t.running('hardened');
    const info = await t.berth.engineClient.inspectContainer(c.id);
    const hc = info.HostConfig;
    expect(hc.Privileged).toBe(false);
    expect(hc.Init).toBe(true);
    expect(hc.Memory).toBe(512 * 1024 * 1024);
    expect(hc.MemorySwap).toBe(512 * 1024 * 1024);
    expect(hc.PidsLimit).toBe(512);
    expect(hc.NetworkMode).toBe('none');
    expect(hc.SecurityOpt?.join(',')).toContain('no-new-privileges');
    const status = await c.exec({ cmd: ['cat', '/proc/1/status'] });
    const self = await c.exec({ cmd: ['cat', '/proc/self/status'] });
    expect(self.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(self.stdout).toMatch(/Seccomp:\s+2/);
    const capEff = /CapEff:\s+([0-9a-f]+)/.exec(self.stdout)?.[1] ?? '';
    // CAP_SYS_ADMIN (bit 21) and CAP_NET_RAW (bit 13) are dropped; CAP_CHOWN (bit 0) is kept.
    const eff = BigInt(`0x${capEff}`);
    expect(eff & (1n << 21n)).toBe(0n);
    expect(eff & (1n << 13n)).toBe(0n);
    expect(eff & 1n).toBe(1n);
    expect(status.stdout).toMatch(/Name:\s+(docker-init|podman-init|catatonit|tini)/);
  });

  it('lets the caller loosen a default explicitly', async () => {
    const c = await t.running('loose', (b) => b.memory('64m').memorySwap('128m').pidsLimit(64).init(false));
    const hc = (await t.berth.engineClient.inspectContainer(c.id)).HostConfig;
    expect(hc.Memory).toBe(64 * 1024 * 1024);
    expect(hc.MemorySwap).toBe(128 * 1024 * 1024);
    expect(hc.PidsLimit).toBe(64);
    const pid1 = await c.exec({ cmd: ['cat', '/proc/1/comm'] });
    expect(pid1.stdout.trim()).toBe('sleep');
  });

  it("lists only this instance's containers, filtered by labels", async () => {
    const a = await t.running('list-a');
    const b = t.track(await t.berth.containers.create(t.spec('list-b').labels('berth.test.tag', 'b').build()));
    const all = await t.berth.containers.list({ labels: { [TEST_LABEL]: runId() } });
    const ids = all.map((r) => r.id);
    expect(ids).toContain(a.id);
    expect(ids).toContain(b.id);
    const tagged = await t.berth.containers.list({ labels: { 'berth.test.tag': 'b' } });
    expect(tagged.map((r) => r.id)).toEqual([b.id]);
    expect(tagged[0]?.image).toBe(FIXTURE_IMAGE);
    const runningOnly = await t.berth.containers.list({ all: false, labels: { [TEST_LABEL]: runId() } });
    expect(runningOnly.map((r) => r.id)).not.toContain(b.id);
    expect((await t.berth.containers.get(a.name)).id).toBe(a.id);
  });
});
