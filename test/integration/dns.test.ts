import { afterEach, describe, expect, it } from 'vitest';
import { engineUnderTest, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const SERVE_HELLO = ['sh', '-c', 'while true; do echo hello | nc -l -p 8080; done'];

/**
 * Names on isolated networks (issue 15 §8): the same on Docker (embedded DNS) and Podman
 * (netavark + aardvark-dns, set up by scripts/bootstrap-engines.sh; Podman's CNI backend
 * resolves no names on internal networks, and this test says so when it meets one).
 * busybox-static resolves with its own `nslookup`; `nc` dials by name through the same resolver.
 */
describe(`names on isolated networks (${engineUnderTest()})`, () => {
  const t = useBerth();
  const sessions: string[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((id) => t.berth.sessions.remove(id).catch(() => undefined)));
  });
  const session = async (hint: string, network: Parameters<typeof t.berth.sessions.create>[0]['network'], cmd?: string[]) => {
    const s = await t.berth.sessions.create({ name: uniqueName(hint).slice(-60), labels: { [TEST_LABEL]: runId() }, ...(network ? { network } : {}), ...(cmd ? { spec: { cmd } } : {}) });
    sessions.push(s.id);
    return s;
  };

  it('a session reaches another on its isolated network by name (nslookup and nc)', async () => {
    const a = await session('dns-a', 'isolated', SERVE_HELLO);
    const b = await session('dns-b', { policy: 'isolated', join: a.id });
    const look = await t.berth.sessions.exec(b.id, { cmd: ['nslookup', a.name] });
    const resolv = (await t.berth.sessions.exec(b.id, { cmd: ['cat', '/etc/resolv.conf'] })).stdout;
    expect(look.exitCode, `nslookup ${a.name} on ${t.berth.engine?.kind} (a CNI Podman resolves no names on internal networks: run scripts/bootstrap-engines.sh for netavark); resolv.conf:\n${resolv}\n${look.stdout}${look.stderr}`).toBe(0);
    let r = await t.berth.sessions.exec(b.id, { cmd: ['nc', '-w', '2', a.name, '8080'] });
    for (let i = 0; i < 20 && !r.stdout.includes('hello'); i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = await t.berth.sessions.exec(b.id, { cmd: ['nc', '-w', '2', a.name, '8080'] });
    }
    expect(r.stdout).toContain('hello');
    // A name that no session on the network has does not resolve.
    expect((await t.berth.sessions.exec(b.id, { cmd: ['nslookup', uniqueName('nobody').slice(-60)] })).exitCode).not.toBe(0);
  });
});
