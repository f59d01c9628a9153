import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError, type Session } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import { daemonBackend, inProcessBackend, type McpBackend } from '../../src/mcp/mcp-backend.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import type { MountSpec } from '../../src/spec/container-spec.js';
import type { WorkflowRun } from '../../src/workflow/workflow-run.js';
import { WORKFLOW_LABELS } from '../../src/workflow/session-executor.js';
import { daemonDirs } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const labels = { [TEST_LABEL]: runId() };
const bind = (source: string, readOnly = true): MountSpec => ({ type: 'bind', source, target: '/mnt', readOnly });

async function caught(p: Promise<unknown>): Promise<BerthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a BerthError, the call succeeded');
}

/** A POST to the daemon's unix socket with raw headers: status and parsed body. */
function post(socket: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as { code?: string; message?: string } }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Host paths that reach root or a control socket: every caller is refused, through every surface. */
const ROOT_EQUIVALENT = ['/run', '/run/user/0', '/run/systemd', '/run/dbus', '/var/run', '/usr/local/bin', '/usr', '/bin', '/sbin', '/lib/systemd', '/opt', '/var/spool/cron', '/etc', '/root', '/boot', '/home', '/var/lib/docker', '/var/lib/containers'];

describe(`mount attacks (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('adv-mounts');
  /** Host directories the untrusted callers of the second daemon may bind under. */
  const allowed = mkdtempSync(join(tmpdir(), 'berth-adv-allowed-'));
  /** Outside every allowed root, and not a system path: only the default-deny keeps it out. */
  const outside = mkdtempSync(join(tmpdir(), 'berth-adv-outside-'));
  const dirs2 = daemonDirs('adv-mounts-roots');
  let daemon: RunningDaemon;
  let daemon2: RunningDaemon;
  let operator: BerthClient;
  const made: Array<{ sessions: { remove(id: string): Promise<unknown> }; id: string }> = [];
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    daemon = await startDaemon(loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {}), silentLogger());
    daemon2 = await startDaemon({ ...loadConfig({ engine: engineUnderTest(), dataDir: dirs2.dataDir, socket: dirs2.socket, logLevel: 'silent' }, {}), mounts: { untrustedRoots: [allowed] } }, silentLogger());
    operator = BerthClient.connect({ socketPath: dirs.socket });
    writeFileSync(join(allowed, 'in.txt'), 'allowed data\n');
    writeFileSync(join(outside, 'secret.txt'), 'outside data\n');
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) await c().catch(() => undefined);
    await Promise.all(made.splice(0).map((m) => m.sessions.remove(m.id).catch(() => undefined)));
  });
  afterAll(async () => {
    await daemon?.close();
    await daemon2?.close();
    for (const d of [allowed, outside]) rmSync(d, { recursive: true, force: true });
    dirs.rm();
    dirs2.rm();
  });

  const track = (sessions: { remove(id: string): Promise<unknown> }, s: Session) => {
    made.push({ sessions, id: s.id });
    return s;
  };
  const containersNamed = async (name: string) => (await daemon.berth.engineClient.listContainers([`${TEST_LABEL}=${runId()}`], true)).filter((c) => c.Names.some((n) => n.includes(name)));

  async function mcpOver(backend: McpBackend): Promise<Client> {
    const server = createMcpServer(backend, silentLogger());
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'adversarial', version: '1.0.0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    closers.push(() => client.close(), () => server.close());
    return client;
  }
  const toolText = (r: CallToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '');

  describe('through the HTTP API', () => {
    it("an operator binding berth's own socket directory (to reach the API and ask for a privileged container) is refused", async () => {
      const e = await caught(operator.sessions.create({ name: uniqueName('own-sock'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(dirname(dirs.socket))] } }));
      expect(e.code).toBe('PolicyDenied');
      expect(e.message).toMatch(/denied-path|socket-dir/);
    });

    it.each(ROOT_EQUIVALENT)('an operator binding %s read-write is refused', async (source) => {
      const name = uniqueName('root-eq');
      const e = await caught(operator.sessions.create({ name, image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(source, false)] } }));
      expect(e.code).toBe('PolicyDenied');
      expect(e.details.problems?.[0]?.path).toBe('mounts.0.source');
      expect(await containersNamed(name)).toEqual([]);
    });

    it('a symlink in an ordinary directory pointing at /run is judged by its target', async () => {
      const link = join(outside, 'innocent');
      symlinkSync('/run', link);
      try {
        const e = await caught(operator.sessions.create({ name: uniqueName('link-run'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(link)] } }));
        expect(e.code).toBe('PolicyDenied');
        expect(e.message).toContain('socket-dir');
      } finally {
        rmSync(link);
      }
    });

    it('a request marked untrusted (x-berth-trust) binding an ordinary directory is refused when no root is configured, naming the key', async () => {
      const r = await post(dirs.socket, '/v1/sessions', { name: uniqueName('hdr'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(outside)] } }, { 'x-berth-trust': 'untrusted' });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('PolicyDenied');
      expect(r.body.message).toContain('mounts.untrustedRoots');
    });

    it('a client cannot raise its trust with the header, nor send a value berth does not know', async () => {
      const r = await post(dirs2.socket, '/v1/sessions', { name: uniqueName('hdr-raise'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(outside)] } }, { 'x-berth-trust': 'root' });
      expect(r.body.code).toBe('InvalidArgument');
    });

    it("a body field cannot claim berth's trust label for its container", async () => {
      const e = await caught(operator.sessions.create({ name: uniqueName('label'), image: FIXTURE_IMAGE, labels: { ...labels }, spec: { labels: { 'berth.trust': 'operator' } } }));
      expect(e.code).toBe('InvalidArgument');
    });

    it('an engine restart policy with a bind mount (the engine would start it again unchecked) is refused', async () => {
      const e = await caught(operator.sessions.create({ name: uniqueName('restart-pol'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(outside)], restartPolicy: { name: 'always' } } }));
      expect(e.code).toBe('PolicyDenied');
      expect(e.details.problems?.[0]?.path).toBe('restartPolicy');
    });
  });

  describe('through MCP', () => {
    it('an agent binding the daemon socket directory through create_session is refused', async () => {
      const mcp = await mcpOver(daemonBackend(BerthClient.connect({ socketPath: dirs2.socket, trust: 'untrusted' })));
      const r = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-sock'), image: FIXTURE_IMAGE, labels, mounts: [{ source: dirname(dirs2.socket), target: '/b' }] } })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(toolText(r)).toMatch(/^PolicyDenied: /);
    });

    it('an agent binding an ordinary host directory gets nothing when no untrusted root is configured (daemon backend)', async () => {
      const mcp = await mcpOver(daemonBackend(BerthClient.connect({ socketPath: dirs.socket, trust: 'untrusted' })));
      const r = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-plain'), image: FIXTURE_IMAGE, labels, mounts: [{ source: outside, target: '/o', readOnly: false }] } })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(toolText(r)).toContain('mounts.untrustedRoots');
    });

    it('an agent binding an ordinary host directory gets nothing in-process either', async () => {
      const berth = await Berth.connect({ engine: engineUnderTest(), instance: `t-${runId()}-advm` });
      closers.push(() => berth.close());
      const mcp = await mcpOver(inProcessBackend(berth));
      const r = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-inproc'), image: FIXTURE_IMAGE, labels, mounts: [{ source: outside, target: '/o' }] } })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(toolText(r)).toContain('mounts.untrustedRoots');
    });

    it('an agent binding outside the configured roots is refused, and inside them allowed', async () => {
      const mcp = await mcpOver(daemonBackend(BerthClient.connect({ socketPath: dirs2.socket, trust: 'untrusted' })));
      const out = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-out'), image: FIXTURE_IMAGE, labels, mounts: [{ source: outside, target: '/o' }] } })) as CallToolResult;
      expect(out.isError).toBe(true);
      expect(toolText(out)).toContain('untrusted-caller');
      const inside = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-in'), image: FIXTURE_IMAGE, labels, mounts: [{ source: allowed, target: '/a' }] } })) as CallToolResult;
      expect(inside.isError, toolText(inside)).toBeFalsy();
      const s = inside.structuredContent as { id: string };
      made.push({ sessions: daemon2.berth.sessions, id: s.id });
      const cat = (await mcp.callTool({ name: 'exec', arguments: { session: s.id, cmd: ['cat', '/a/in.txt'] } })) as CallToolResult;
      expect((cat.structuredContent as { stdout: string }).stdout).toBe('allowed data\n');
    });

    it("an agent escaping an allowed root with a symlink or link/.. is refused", async () => {
      const mcp = await mcpOver(daemonBackend(BerthClient.connect({ socketPath: dirs2.socket, trust: 'untrusted' })));
      mkdirSync(join(outside, 'deep/sub'), { recursive: true });
      symlinkSync(outside, join(allowed, 'to-outside'));
      symlinkSync(join(outside, 'deep/sub'), join(allowed, 'to-sub'));
      try {
        for (const source of [join(allowed, 'to-outside'), `${allowed}/to-sub/..`]) {
          const r = (await mcp.callTool({ name: 'create_session', arguments: { name: uniqueName('mcp-esc'), image: FIXTURE_IMAGE, labels, mounts: [{ source, target: '/o' }] } })) as CallToolResult;
          expect(r.isError, source).toBe(true);
          expect(toolText(r)).toContain(realpathSync(outside));
        }
      } finally {
        rmSync(join(allowed, 'to-outside'));
        rmSync(join(allowed, 'to-sub'));
      }
    });

    it("an agent forking an operator's session that has a bind mount does not inherit the mount", async () => {
      const s = track(daemon2.berth.sessions, await daemon2.berth.sessions.create({ name: uniqueName('op-mount'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(outside)] } }));
      const mcp = await mcpOver(daemonBackend(BerthClient.connect({ socketPath: dirs2.socket, trust: 'untrusted' })));
      const r = (await mcp.callTool({ name: 'fork_session', arguments: { session: s.id, name: uniqueName('fork') } })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(toolText(r)).toMatch(/^PolicyDenied: .*untrusted-caller/);
    });
  });

  describe('through a workflow file', () => {
    const runOn = async (d: RunningDaemon, socket: string, yaml: string[], baseDir: string): Promise<WorkflowRun> => {
      const client = BerthClient.connect({ socketPath: socket });
      const started = await client.workflows.start({ source: [`name: adv`, `image: ${FIXTURE_IMAGE}`, 'steps:', ...yaml].join('\n'), baseDir, labels, file: 'adv.yaml' });
      const run = await client.workflows.watch(started.id);
      expect(await d.berth.engineClient.listContainers([`${WORKFLOW_LABELS.run}=${run.id}`], true)).toEqual([]);
      return run;
    };

    it.each(['/run', '/var/run', '/usr/local/bin', '/var/spool/cron', '/home'])('a step binding %s is refused', async (source) => {
      const run = await runOn(daemon2, dirs2.socket, [`  - { id: s, mounts: [{ source: ${source}, target: /h, readOnly: false }], command: ["true"] }`], allowed);
      expect(run.status).toBe('failed');
      expect(run.steps[0]?.error).toMatch(/bind mount denied/);
    });

    it('a step binding its own checkout gets nothing when no untrusted root is configured, naming the key', async () => {
      const run = await runOn(daemon, dirs.socket, ['  - { id: s, mounts: [{ source: ., target: /src }], command: ["true"] }'], outside);
      expect(run.status).toBe('failed');
      expect(run.steps[0]?.error).toContain('mounts.untrustedRoots');
    });

    it('a step climbing out of its directory with ../ or a symlink is refused', async () => {
      symlinkSync(outside, join(allowed, 'wf-link'));
      try {
        for (const source of ['../', './wf-link', './wf-link/../']) {
          const run = await runOn(daemon2, dirs2.socket, [`  - { id: s, mounts: [{ source: "${source}", target: /h }], command: ["true"] }`], allowed);
          expect(run.status, source).toBe('failed');
          expect(run.steps[0]?.error).toMatch(/bind mount denied: .*(untrusted-caller|contains-protected)/);
        }
      } finally {
        rmSync(join(allowed, 'wf-link'));
      }
    });

    it('a step binding inside the configured root runs with it', async () => {
      const run = await runOn(daemon2, dirs2.socket, ['  - { id: s, mounts: [{ source: ., target: /src }], command: [cat, /src/in.txt] }'], allowed);
      expect(run.status).toBe('succeeded');
      expect(run.steps[0]?.logTail).toContain('allowed data');
    });
  });

  describe('the path checked is the path mounted', () => {
    const work = () => {
      const w = mkdtempSync(join(outside, 'w-'));
      mkdirSync(join(w, 'data'));
      writeFileSync(join(w, 'data/file.txt'), 'real data\n');
      return w;
    };

    it('the engine is given the real path, not the caller\'s symlink', async () => {
      const w = work();
      symlinkSync(join(w, 'data'), join(w, 'link'));
      const s = track(daemon.berth.sessions, await daemon.berth.sessions.create({ name: uniqueName('real'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(join(w, 'link'))] } }));
      const info = await daemon.berth.engineClient.inspectContainer(s.containerId!);
      // The session agent's own mounts (under /.berth) are berth's, not the caller's.
      expect(info.Mounts?.filter((m) => m.Type === 'bind' && !m.Destination.startsWith('/.berth')).map((m) => m.Source)).toEqual([realpathSync(join(w, 'data'))]);
    });

    it('a directory swapped for a symlink to /etc between create and start is refused at start', async () => {
      const w = work();
      const s = track(daemon.berth.sessions, await daemon.berth.sessions.create({ name: uniqueName('swap'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(join(w, 'data'))] } }));
      await daemon.berth.sessions.stop(s.id, { graceSeconds: 0 });
      renameSync(join(w, 'data'), join(w, 'data.old'));
      symlinkSync('/etc', join(w, 'data'));
      const e = await caught(daemon.berth.sessions.start(s.id));
      expect(e.code).toBe('PolicyDenied');
      expect(e.message).toContain('system-dir');
      const info = await daemon.berth.engineClient.inspectContainer(s.containerId!);
      expect(info.State.Running).toBe(false);
    });

    it('a swap to a harmless-looking directory is refused too: only the path that was checked may be mounted', async () => {
      const w = work();
      const s = track(daemon.berth.sessions, await daemon.berth.sessions.create({ name: uniqueName('swap2'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(join(w, 'data'))] } }));
      await daemon.berth.sessions.stop(s.id, { graceSeconds: 0 });
      mkdirSync(join(w, 'elsewhere'));
      renameSync(join(w, 'data'), join(w, 'data.old'));
      symlinkSync(join(w, 'elsewhere'), join(w, 'data'));
      expect((await caught(daemon.berth.sessions.start(s.id))).message).toContain('changed-since-create');
    });

    it('a swap before a health restart is refused: the restart does not start the container', async () => {
      const w = work();
      const s = track(daemon.berth.sessions, await daemon.berth.sessions.create({ name: uniqueName('swap-restart'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(join(w, 'data'))] } }));
      renameSync(join(w, 'data'), join(w, 'data.old'));
      symlinkSync('/', join(w, 'data'));
      const e = await caught(daemon.berth.sessions.restart(s.id, 'unhealthy'));
      expect(e.code).toBe('PolicyDenied');
      const out = await daemon.berth.sessions.exec(s.id, { cmd: ['cat', '/mnt/file.txt'] });
      expect(out.stdout).toBe('real data\n');
    });

    it('a session made by an untrusted caller is re-checked with the untrusted rules at start', async () => {
      const sub = mkdtempSync(join(allowed, 'w-'));
      const s = track(daemon2.berth.sessions, await daemon2.berth.sessions.create({ name: uniqueName('untrusted-restart'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(sub)] } }, { trust: 'untrusted' }));
      const info = await daemon2.berth.engineClient.inspectContainer(s.containerId!);
      expect(info.Config.Labels?.['berth.trust']).toBe('untrusted');
      await daemon2.berth.sessions.stop(s.id, { graceSeconds: 0 });
      rmSync(sub, { recursive: true });
      symlinkSync(outside, sub);
      const e = await caught(daemon2.berth.sessions.start(s.id));
      expect(e.message).toMatch(/untrusted-caller|changed-since-create/);
    });

    it("a path with .. after a symlink is judged where the kernel resolves it (link/.. is the target's parent)", async () => {
      const w = work();
      symlinkSync('/etc/default', join(w, 'link'));
      const e = await caught(daemon.berth.sessions.create({ name: uniqueName('dotdot'), image: FIXTURE_IMAGE, labels, spec: { mounts: [bind(`${w}/link/..`)] } }));
      expect(e.code).toBe('PolicyDenied');
      expect(e.message).toContain('system-dir');
      expect((e.details.denials as Array<{ resolved: string }>)[0]?.resolved).toBe('/etc');
    });
  });
});
