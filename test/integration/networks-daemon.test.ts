import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth } from '../../src/index.js';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { sessionNetworkName } from '../../src/network/network-policy.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

describe(`networks through the daemon: HTTP client and CLI (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('net');
  let daemon: DaemonProcess;
  let engine: Berth;
  const networks: string[] = [];
  const sessions: string[] = [];
  const label = `${TEST_LABEL}=${runId()}`;

  beforeAll(async () => {
    daemon = await spawnDaemon(dirs);
    engine = await Berth.connect({ engine: engineUnderTest() });
  });
  afterEach(async () => {
    for (const id of sessions.splice(0)) await daemon.client.sessions.remove(id).catch(() => undefined);
    for (const n of networks.splice(0)) await engine.engineClient.networks.remove(n).catch(() => undefined);
  });
  afterAll(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    await engine?.close();
    dirs.rm();
  });

  it('client: create (idempotent), inspect, connect a session container, Conflict on remove, disconnect, remove, NotFound', async () => {
    const c = daemon.client;
    const name = uniqueName('cli-net');
    networks.push(name);
    const n = await c.networks.create({ name, labels: { [TEST_LABEL]: runId() } });
    expect(n).toMatchObject({ name, internal: true });
    expect((await c.networks.create({ name, labels: { [TEST_LABEL]: runId() } })).id).toBe(n.id);
    await expect(c.networks.create({ name, internal: false, labels: { [TEST_LABEL]: runId() } })).rejects.toMatchObject({ code: 'Conflict' });
    const none = await c.sessions.create({ labels: { [TEST_LABEL]: runId() } });
    sessions.push(none.id);
    await expect(c.networks.connect(name, { container: none.containerName })).rejects.toMatchObject({ code: 'Conflict' });
    const s = await c.sessions.create({ labels: { [TEST_LABEL]: runId() }, network: 'isolated' });
    sessions.push(s.id);
    networks.push(sessionNetworkName(s.id));
    expect(await c.networks.connect(name, { container: s.containerName })).toEqual({ changed: true });
    await expect(c.networks.remove(name)).rejects.toMatchObject({ code: 'Conflict', details: { containers: [s.containerName] } });
    expect((await c.networks.list({ labels: { [TEST_LABEL]: runId() } })).find((x) => x.name === name)?.containers.map((x) => x.name)).toEqual([s.containerName]);
    expect(await c.networks.disconnect(name, { container: s.containerName })).toEqual({ changed: true });
    expect(await c.networks.remove(name)).toEqual({ id: n.id, name });
    await expect(c.networks.inspect(name)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(c.networks.create({ name: '' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('CLI: network create / ls / inspect / rm with typed exit codes; run --network isolated makes a network that ends with the session', async () => {
    const name = uniqueName('cli');
    networks.push(name);
    const created = await runCli(dirs.socket, ['network', 'create', name, '--label', label]);
    expect(created.code, created.stderr).toBe(0);
    const ls = await runCli(dirs.socket, ['network', 'ls', '--label', label]);
    expect(ls.stdout).toContain(name);
    const inspect = await runCli(dirs.socket, ['network', 'inspect', name]);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ name, internal: true });
    expect((await runCli(dirs.socket, ['network', 'rm', name])).code).toBe(0);
    const missing = await runCli(dirs.socket, ['network', 'rm', name]);
    expect(missing.code).toBe(EXIT_STATUS.NotFound);
    expect(missing.stderr).toContain('NotFound');
    const bad = await runCli(dirs.socket, ['run', '--network', 'sideways', '--label', label]);
    expect(bad.code).toBe(EXIT_STATUS.InvalidArgument);

    const run = await runCli(dirs.socket, ['run', '--network', 'isolated', '--label', label]);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    sessions.push(id);
    const net = sessionNetworkName(id);
    networks.push(net);
    const listed = await runCli(dirs.socket, ['network', 'ls', '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ name: string; session?: string }>).find((x) => x.name === net)?.session).toBe(id);
    const inUse = await runCli(dirs.socket, ['network', 'rm', net]);
    expect(inUse.code).toBe(EXIT_STATUS.Conflict);
    expect(inUse.stderr).toContain(`berth-${id}`);
    expect((await runCli(dirs.socket, ['rm', id])).code).toBe(0);
    expect(await engine.engineClient.networks.find(net)).toBeUndefined();
  });
});
