import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Berth, BerthError, type Container, type Session } from '../../src/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { LABELS } from '../../src/common/labels.js';
import { internalNetworkHasDefaultRoute, internalNetworkResolvesNames } from '../../src/engine/quirks.js';
import { sessionNetworkName } from '../../src/network/network-policy.js';
import { reconcile } from '../../src/session/reconcile.js';
import { engineUnderTest, useBerth } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

/** Answers `hello` to every connection on port 8080 (busybox nc, one client at a time). */
const SERVE_HELLO = ['sh', '-c', 'while true; do echo hello | nc -l -p 8080; done'];
/** Connects to HOST:8080 with a 2 s connect timeout and prints what it reads. */
const dial = (host: string) => ['nc', '-w', '2', host, '8080'];

describe(`networks (${engineUnderTest()})`, () => {
  const t = useBerth();
  const labels = () => ({ [TEST_LABEL]: runId() });
  const networks: string[] = [];
  const sessions: string[] = [];
  const containers: Container[] = [];

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((id) => t.berth.sessions.remove(id).catch(() => undefined)));
    await Promise.all(containers.splice(0).map((c) => c.remove({ force: true }).catch(() => undefined)));
    for (const n of networks.splice(0)) await t.berth.engineClient.networks.remove(n).catch(() => undefined);
  });

  const network = async (hint: string, internal = true) => {
    const name = uniqueName(hint);
    networks.push(name);
    return t.berth.networks.create({ name, internal, labels: labels() });
  };
  const container = async (hint: string, net: string, o: { cmd?: string[]; aliases?: string[] } = {}) => {
    const b = t.spec(hint).network(net).cmd(o.cmd ?? ['sleep', '3600']);
    if (o.aliases) b.networkAliases(o.aliases);
    const c = await t.berth.containers.create(b.build());
    containers.push(c);
    await c.start();
    return c;
  };
  const session = async (hint: string, network: Parameters<typeof t.berth.sessions.create>[0]['network'], cmd?: string[]) => {
    const s = await t.berth.sessions.create({ name: uniqueName(hint).slice(-60), labels: labels(), ...(network ? { network } : {}), ...(cmd ? { spec: { cmd } } : {}) });
    sessions.push(s.id);
    return s;
  };
  const ipOn = async (net: string, containerName: string) => {
    const n = await t.berth.networks.inspect(net);
    const ip = n.containers.find((c) => c.name === containerName)?.ipv4;
    expect(ip, `${containerName} on ${net}: ${JSON.stringify(n.containers)}`).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    return ip as string;
  };
  const execIn = (s: Session, cmd: string[]) => t.berth.sessions.exec(s.id, { cmd, timeoutMs: 30_000 });
  /** Dials until the server loop answers (it may still be starting); returns the last result. */
  const dialUntilHello = async (s: Session, host: string) => {
    let r = await execIn(s, dial(host));
    for (let i = 0; i < 20 && !r.stdout.includes('hello'); i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = await execIn(s, dial(host));
    }
    return r;
  };
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return BerthError.is(err) ? err.code : String(err);
    }
  };

  it('creates, lists, inspects and removes berth-labelled networks; create is idempotent by name', async () => {
    const n = await network('crud');
    expect(n.internal).toBe(true);
    expect(n.labels).toMatchObject({ [LABELS.managed]: 'true', [LABELS.instance]: t.berth.instance, [TEST_LABEL]: runId() });
    expect((await t.berth.networks.create({ name: n.name, labels: labels() })).id).toBe(n.id);
    await expect(t.berth.networks.create({ name: n.name, internal: false, labels: labels() })).rejects.toMatchObject({ code: 'Conflict' });
    await expect(t.berth.networks.create({ name: n.name, labels: { ...labels(), extra: 'x' } })).rejects.toMatchObject({ code: 'Conflict' });
    expect((await t.berth.networks.list({ labels: labels() })).map((x) => x.name)).toContain(n.name);
    expect((await t.berth.networks.inspect(n.id)).name).toBe(n.name);
    expect(await t.berth.networks.remove(n.name)).toEqual({ id: n.id, name: n.name });
    expect(await code(t.berth.networks.inspect(n.name))).toBe('NotFound');
    expect(await code(t.berth.networks.remove(n.name))).toBe('NotFound');
    expect(await code(t.berth.networks.create({ name: 'bad name!' }))).toBe('InvalidArgument');
    expect(await code(t.berth.networks.create({ name: sessionNetworkName('s-x') }))).toBe('InvalidArgument');
    expect(await code(t.berth.networks.create({ name: uniqueName('lbl'), labels: { [LABELS.instance]: 'other' } }))).toBe('InvalidArgument');
  });

  it('does not show or touch networks that are not its own', async () => {
    const name = uniqueName('foreign');
    networks.push(name);
    await t.berth.engineClient.networks.create({ name, internal: true, labels: labels() });
    expect(await code(t.berth.networks.inspect(name))).toBe('NotFound');
    expect(await code(t.berth.networks.remove(name))).toBe('NotFound');
    expect(await code(t.berth.networks.create({ name, labels: labels() }))).toBe('Conflict');
    expect((await t.berth.networks.list()).map((x) => x.name)).not.toContain(name);
    expect((await t.berth.networks.prune()).removed).not.toContain(name);
    expect((await t.berth.engineClient.networks.find(name))?.name).toBe(name);
  });

  it('connects and disconnects containers idempotently; removing a network in use is a Conflict naming the container; prune keeps it', async () => {
    const a = await network('conn-a');
    const b = await network('conn-b');
    const empty = await network('conn-empty');
    const c = await container('conn', a.name);
    expect(await t.berth.networks.connect(b.name, { container: c.name, aliases: ['second'] })).toEqual({ changed: true });
    expect(await t.berth.networks.connect(b.name, { container: c.id })).toEqual({ changed: false });
    expect((await t.berth.networks.inspect(b.name)).containers.map((x) => x.name)).toEqual([c.name]);
    const err = await t.berth.networks.remove(b.name).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'Conflict', details: { containers: [c.name] } });
    expect((err as Error).message).toContain(c.name);
    expect(await t.berth.networks.disconnect(b.name, { container: c.name })).toEqual({ changed: true });
    expect(await t.berth.networks.disconnect(b.name, { container: c.name })).toEqual({ changed: false });
    await c.stop({ graceSeconds: 0 });
    const pruned = (await t.berth.networks.prune()).removed;
    expect(pruned).toEqual(expect.arrayContaining([b.name, empty.name]));
    expect(pruned).not.toContain(a.name);
    expect(await code(t.berth.networks.remove(a.name))).toBe('Conflict');
    expect(await code(t.berth.networks.connect(a.name, { container: uniqueName('nobody') }))).toBe('NotFound');
    expect(await code(t.berth.networks.connect(uniqueName('nonet'), { container: c.name }))).toBe('NotFound');
  });

  it('two containers on one isolated network reach each other; a container on another network cannot', async () => {
    const n = await network('pair');
    const server = await container('srv', n.name, { cmd: SERVE_HELLO, aliases: ['hello-srv'] });
    const client = await container('cli', n.name);
    const ip = await ipOn(n.name, server.name);
    const attempt = async (c: Container, host: string) => {
      let r = await c.exec({ cmd: dial(host) });
      for (let i = 0; i < 20 && !r.stdout.includes('hello'); i++) {
        await new Promise((res) => setTimeout(res, 250));
        r = await c.exec({ cmd: dial(host) });
      }
      return r;
    };
    expect((await attempt(client, ip)).stdout).toContain('hello');
    if (internalNetworkResolvesNames(t.berth.engine!.kind)) expect((await attempt(client, 'hello-srv')).stdout).toContain('hello');
    const other = await network('pair-other');
    const outsider = await container('out', other.name);
    const r = await outsider.exec({ cmd: dial(ip) });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('hello');
  });

  it("an isolated session gets its own internal network, which other sessions can join and which is removed when they end", async () => {
    const a = await session('iso-a', 'isolated', SERVE_HELLO);
    const net = sessionNetworkName(a.id);
    expect(a.spec.network).toBe(net);
    const info = await t.berth.networks.inspect(net);
    expect(info).toMatchObject({ internal: true, session: a.id, labels: { [LABELS.session]: a.id, [TEST_LABEL]: runId() } });
    expect(info.containers.map((c) => c.name)).toEqual([a.containerName]);
    const b = await session('iso-b', { policy: 'isolated', join: a.id });
    expect(b.spec.network).toBe(net);
    const ip = await ipOn(net, a.containerName);
    expect((await dialUntilHello(b, ip)).stdout).toContain('hello');
    if (internalNetworkResolvesNames(t.berth.engine!.kind)) expect((await dialUntilHello(b, a.name)).stdout).toContain('hello');
    // A gateway-less internal network (Podman's) has no address on the host, so the host routes
    // its subnet out through its own default route: a bridge container must not dial it (the packet
    // would leave the machine); nothing on the host's bridges can reach it.
    const bridgeMayDial = info.gateways.length > 0;
    for (const policy of bridgeMayDial ? (['isolated', 'bridge'] as const) : (['isolated'] as const)) {
      const outsider = await session(`iso-${policy}`, policy);
      const r = await execIn(outsider, dial(ip));
      expect(r.exitCode, `${policy}: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.stdout).not.toContain('hello');
    }
    await t.berth.sessions.remove(a.id);
    expect((await t.berth.networks.inspect(net)).containers.map((c) => c.name)).toEqual([b.containerName]);
    await t.berth.sessions.remove(b.id);
    expect(await t.berth.engineClient.networks.find(net)).toBeUndefined();
  });

  it('an isolated network has no route out', async () => {
    const s = await session('route', 'isolated');
    const routes = (await execIn(s, ['cat', '/proc/net/route'])).stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(routes.length).toBeGreaterThan(0);
    const defaults = routes.filter((r) => r[1] === '00000000');
    const engine = t.berth.engine!;
    if (!internalNetworkHasDefaultRoute(engine.kind, engine.version)) {
      expect(defaults).toEqual([]);
      return;
    }
    // Docker before 25: a default route to the bridge's own address; iptables drops what leaves the subnet.
    const n = await t.berth.networks.inspect(sessionNetworkName(s.id));
    const gw = defaults[0]?.[2] ?? '';
    const hexToIp = (h: string) => [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
    expect(n.gateways).toContain(hexToIp(gw));
    const rules = execFileSync('iptables', ['-S', 'DOCKER-ISOLATION-STAGE-1'], { encoding: 'utf8' });
    expect(rules).toContain(`! -d ${n.subnets[0]} -i br-${n.id.slice(0, 12)} -j DROP`);
  });

  it("a session with policy none (the default) has only lo", async () => {
    for (const s of [await session('none', undefined), await session('none2', 'none')]) {
      expect(s.spec.network).toBe('none');
      const ifaces = (await execIn(s, ['cat', '/proc/net/dev'])).stdout.split('\n').slice(2).map((l) => l.split(':')[0]?.trim()).filter(Boolean);
      expect(ifaces).toEqual(['lo']);
    }
  });

  it('puts extra DNS servers in the container and refuses policies that make no sense', async () => {
    const s = await session('dns', { policy: 'bridge', dns: ['192.0.2.53'] });
    expect((await t.berth.engineClient.inspectContainer(s.containerId!)).HostConfig.Dns).toEqual(['192.0.2.53']);
    expect((await execIn(s, ['cat', '/etc/resolv.conf'])).stdout).toContain('192.0.2.53');
    const none = await session('dns-none', 'none');
    expect(await code(session('bad1', { policy: 'none', dns: ['192.0.2.53'] }))).toBe('InvalidArgument');
    expect(await code(session('bad2', { policy: 'bridge', aliases: ['x'] }))).toBe('InvalidArgument');
    expect(await code(session('bad3', { policy: 'bridge', dns: ['not-an-ip'] }))).toBe('InvalidArgument');
    expect(await code(session('bad4', { policy: 'isolated', join: none.id }))).toBe('Conflict');
    expect(await code(session('bad5', { policy: 'isolated', join: uniqueName('nobody') }))).toBe('NotFound');
    expect(await code(t.berth.sessions.create({ labels: labels(), network: 'isolated', security: 'strict' }))).toBe('PolicyDenied');
  });

  it('publishes ports on 127.0.0.1 unless the spec names another address', async () => {
    const published = async (hint: string, hostIp?: string) => {
      const c = await t.running(hint, (b) => b.network('bridge').cmd(SERVE_HELLO).port({ containerPort: 8080, ...(hostIp ? { hostIp } : {}) }));
      const info = await t.berth.engineClient.inspectContainer(c.id);
      const bound = info.NetworkSettings.Ports['8080/tcp']?.[0];
      return { requested: info.HostConfig.PortBindings?.['8080/tcp']?.[0]?.HostIp, hostIp: bound?.HostIp, port: Number(bound?.HostPort) };
    };
    const def = await published('port');
    expect(def).toMatchObject({ requested: '127.0.0.1', hostIp: '127.0.0.1' });
    let got = '';
    for (let i = 0; i < 20 && !got.includes('hello'); i++) {
      got = await new Promise<string>((resolve) => {
        let buf = '';
        const sock = connect({ host: '127.0.0.1', port: def.port });
        sock.on('data', (d) => (buf += d.toString()));
        sock.on('close', () => resolve(buf));
        sock.on('error', () => resolve(buf));
      });
      if (!got.includes('hello')) await new Promise((res) => setTimeout(res, 250));
    }
    expect(got).toContain('hello');
    expect(await published('port-opt', '127.0.0.2')).toMatchObject({ requested: '127.0.0.2', hostIp: '127.0.0.2' });
  });

  it('reconcile removes session networks whose session has ended, and only its own', async () => {
    // Its own instance: reconcile also removes that instance's orphan containers.
    const own = await Berth.connect({ engine: engineUnderTest(), instance: `t-${runId()}-net-rec` });
    try {
      const engineNets = own.engineClient.networks;
      const gone = sessionNetworkName(`s-gone${runId()}`);
      const foreign = sessionNetworkName(`s-foreign${runId()}`);
      networks.push(gone, foreign);
      await own.networks.ensureSessionNetwork(`s-gone${runId()}`, labels());
      await engineNets.create({ name: foreign, internal: true, labels: { ...labels(), [LABELS.managed]: 'true', [LABELS.instance]: 'someone-else', [LABELS.session]: 's-zzz' } });
      const live = await own.sessions.create({ labels: labels(), network: 'isolated' });
      try {
        const r = await reconcile({ containers: own.containers, networks: own.networks, local: own.local, repo: own.repo, sessions: own.sessions, log: silentLogger() });
        expect(r.networksRemoved).toEqual([gone]);
        expect(await engineNets.find(gone)).toBeUndefined();
        expect((await engineNets.find(foreign))?.name).toBe(foreign);
        expect((await engineNets.find(sessionNetworkName(live.id)))?.name).toBe(sessionNetworkName(live.id));
      } finally {
        await own.sessions.remove(live.id);
      }
      expect(await engineNets.find(sessionNetworkName(live.id))).toBeUndefined();
    } finally {
      await own.close();
    }
  });
});
