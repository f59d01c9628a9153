import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth } from '../../src/index.js';
import { SNAPSHOT_REPO } from '../../src/session/session-manager.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;
/** Set to a value unique to each test on everything it creates, so cleanup touches only its own. */
const OWN_LABEL = 'berth.test.mcp';
const TOOLS = ['create_session', 'exec', 'fork_session', 'end_session', 'list_sessions', 'session_stats', 'write_file', 'read_file', 'list_directory', 'delete_file', 'export_directory',
  'start_process', 'list_processes', 'wait_process', 'signal_process', 'write_process_stdin', 'process_output'];

interface McpProcess {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

/** Spawns `berth --socket <socket> mcp` and connects the SDK's client to it over stdio. */
async function startMcp(socket: string, args: string[] = []): Promise<McpProcess> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--socket', socket, 'mcp', ...args], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** Waits until the server has written `pattern` to stderr (it writes before it answers, on another pipe); fails after 10 s. */
async function stderrMatching(mcp: McpProcess, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200 && !pattern.test(mcp.stderr()); i++) await sleep(50);
  expect(mcp.stderr()).toMatch(pattern);
  return mcp.stderr();
}

/** Calls a tool; the result as the SDK's client returns it. */
async function call(mcp: McpProcess, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await mcp.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Calls a tool that must succeed; its structured content. */
async function ok<T = Record<string, unknown>>(mcp: McpProcess, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await call(mcp, name, args);
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

/** The text of a tool error (the test fails when the call succeeded). */
async function toolError(mcp: McpProcess, name: string, args: Record<string, unknown>): Promise<string> {
  const r = await call(mcp, name, args);
  expect(r.isError, `${name} ${JSON.stringify(args)} should fail`).toBe(true);
  const first = r.content[0];
  return first?.type === 'text' ? first.text : '';
}

/** The JSON of a resource read's first content. */
function resourceJson(r: ReadResourceResult): Record<string, unknown> {
  const c = r.contents[0];
  if (!c || !('text' in c)) throw new Error(`no text content in ${JSON.stringify(r)}`);
  return JSON.parse(c.text) as Record<string, unknown>;
}

interface Summary {
  id: string;
  name: string;
  state: string;
  network: string;
  labels: Record<string, string>;
  forkedFrom?: string;
}

describe(`berth mcp (${engineUnderTest()})`, () => {
  const engine = engineUnderTest();
  let berth: Berth;
  let own = '';
  const open: McpProcess[] = [];
  const hostDirs: string[] = [];
  const labels = () => ({ [TEST_LABEL]: runId(), [OWN_LABEL]: own });
  const connect = async (socket: string, args: string[] = []) => {
    const m = await startMcp(socket, args);
    open.push(m);
    return m;
  };
  /** Containers of the running test, straight from the engine. */
  const ownContainers = () => berth.engineClient.listContainers([`${OWN_LABEL}=${own}`], true);

  beforeAll(async () => {
    berth = await Berth.connect({ engine });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.close().catch(() => undefined)));
    const rows = await ownContainers();
    await Promise.all(rows.map((r) => berth.engineClient.removeContainer(r.Id, { force: true, volumes: true })));
    for (const r of rows) if (r.Image.startsWith(`${SNAPSHOT_REPO}:`)) await berth.engineClient.removeImage(r.Image).catch(() => undefined);
    for (const d of hostDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await berth?.close();
  });
  const nextTest = () => {
    own = uniqueName('mcp');
  };

  describe('through the daemon', () => {
    let dirs: ReturnType<typeof daemonDirs>;
    let daemon: DaemonProcess | undefined;
    /** The only host directory the MCP server (an untrusted caller) may bind under. */
    let mountRoot: string;
    beforeAll(async () => {
      dirs = daemonDirs('mcp');
      mountRoot = mkdtempSync(join(tmpdir(), 'berth-mcp-roots-'));
      mkdirSync(dirs.dataDir, { recursive: true });
      writeFileSync(join(dirs.dataDir, 'config.json'), JSON.stringify({ sampleIntervalMs: 250, mounts: { untrustedRoots: [mountRoot] } }));
      daemon = await spawnDaemon(dirs);
    });
    afterAll(async () => {
      if (daemon && daemon.child.exitCode === null) {
        daemon.child.kill('SIGTERM');
        await Promise.race([daemon.exited, sleep(10_000)]);
      }
      dirs?.rm();
      rmSync(mountRoot, { recursive: true, force: true });
    });

    it('lists every tool with input and output schemas', async () => {
      nextTest();
      const mcp = await connect(dirs.socket);
      await stderrMatching(mcp, new RegExp(`serving the berth daemon at ${dirs.socket}`));
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
      for (const t of tools) {
        expect(t.inputSchema.type, t.name).toBe('object');
        expect(t.outputSchema?.type, t.name).toBe('object');
        expect(t.description?.length ?? 0, t.name).toBeGreaterThan(30);
      }
      const exec = tools.find((t) => t.name === 'exec')!;
      expect(exec.inputSchema.required).toEqual(expect.arrayContaining(['session', 'cmd']));
      expect(exec.inputSchema.properties?.cmd).toMatchObject({ type: 'array', items: { type: 'string' } });
    });

    it('runs a session end to end: create, exec, files, export, fork, stats, list, resources, end', async () => {
      nextTest();
      const mcp = await connect(dirs.socket);
      const name = uniqueName('mcp-e2e');
      const s = await ok<Summary>(mcp, 'create_session', {
        name,
        image: FIXTURE_IMAGE,
        network: 'none',
        memory: '64m',
        labels: labels(),
        command: ['sh', '-c', 'echo hello-from-main; exec sleep 3600'],
      });
      expect(s).toMatchObject({ name, state: 'running', network: 'none', labels: labels() });
      const [row] = await ownContainers();
      const inspect = await berth.engineClient.inspectContainer(row!.Id);
      expect(inspect.HostConfig.NetworkMode).toBe('none');
      expect(inspect.HostConfig.Memory).toBe(64 * 1024 * 1024);

      const run = await ok(mcp, 'exec', { session: s.id, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
      expect(run).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false, truncated: false });
      expect(await ok(mcp, 'exec', { session: name, cmd: ['cat'], stdin: 'piped in' })).toMatchObject({ exitCode: 0, stdout: 'piped in' });
      expect(await ok(mcp, 'exec', { session: s.id, cmd: ['sleep', '30'], timeoutMs: 500 })).toMatchObject({ timedOut: true });

      expect(await ok(mcp, 'write_file', { session: s.id, path: 'notes/a.txt', content: 'hello' })).toEqual({ path: 'notes/a.txt', bytes: 5 });
      await ok(mcp, 'write_file', { session: s.id, path: 'notes/bin', content: Buffer.from([0xff, 0x00, 0x01]).toString('base64'), encoding: 'base64' });
      expect(await ok(mcp, 'read_file', { session: s.id, path: 'notes/a.txt' })).toEqual({ path: 'notes/a.txt', bytes: 5, encoding: 'utf8', content: 'hello' });
      expect(await ok(mcp, 'read_file', { session: s.id, path: '/workspace/notes/bin' })).toMatchObject({ bytes: 3, encoding: 'base64', content: '/wAB' });
      const listing = await ok<{ entries: Array<{ name: string; path: string; type: string; size: number }> }>(mcp, 'list_directory', { session: s.id, path: 'notes' });
      expect(listing.entries.map((e) => [e.name, e.path, e.type, e.size]).sort()).toEqual([
        ['a.txt', '/workspace/notes/a.txt', 'file', 5],
        ['bin', '/workspace/notes/bin', 'file', 3],
      ]);
      const recursive = await ok<{ entries: Array<{ path: string }> }>(mcp, 'list_directory', { session: s.id, recursive: true });
      expect(recursive.entries.map((e) => e.path)).toEqual(expect.arrayContaining(['/workspace/notes', '/workspace/notes/a.txt']));

      const hostDir = join(mkdtempSync(join(tmpdir(), 'berth-mcp-export-')), 'out');
      hostDirs.push(hostDir);
      expect(await ok(mcp, 'export_directory', { session: s.id, path: 'notes', hostDir })).toMatchObject({ hostDir, files: 2, bytes: 8 });
      expect(readFileSync(join(hostDir, 'a.txt'), 'utf8')).toBe('hello');

      expect(await ok(mcp, 'delete_file', { session: s.id, path: 'notes/bin' })).toEqual({ path: 'notes/bin', deleted: true });
      expect(await toolError(mcp, 'read_file', { session: s.id, path: 'notes/bin' })).toMatch(/^NotFound: /);

      const fork = await ok<Summary>(mcp, 'fork_session', { session: s.id, name: uniqueName('mcp-fork') });
      expect(fork).toMatchObject({ state: 'running', forkedFrom: s.id, labels: labels() });
      expect(await ok(mcp, 'read_file', { session: fork.id, path: 'notes/a.txt' })).toMatchObject({ content: 'hello' });
      await ok(mcp, 'write_file', { session: fork.id, path: 'notes/a.txt', content: 'changed in the fork' });
      expect(await ok(mcp, 'read_file', { session: s.id, path: 'notes/a.txt' })).toMatchObject({ content: 'hello' });

      type Stats = { session: Summary; usage: { memoryBytes: number; memoryLimitBytes: number; pids: number } | null; execs: { recorded: number; last: { cmd: string[] } | null } };
      let stats = await ok<Stats>(mcp, 'session_stats', { session: s.id });
      // The daemon samples every 250 ms here; a sample needs two readings.
      for (let i = 0; i < 120 && stats.usage === null; i++) {
        await sleep(250);
        stats = await ok<Stats>(mcp, 'session_stats', { session: s.id });
      }
      expect(stats.session.id).toBe(s.id);
      expect(stats.usage).toMatchObject({ memoryLimitBytes: 64 * 1024 * 1024 });
      expect(stats.usage!.memoryBytes).toBeGreaterThan(0);
      expect(stats.usage!.pids).toBeGreaterThan(0);
      expect(stats.execs.recorded).toBe(3);
      expect(stats.execs.last?.cmd).toEqual(['sleep', '30']);

      const listed = await ok<{ sessions: Summary[] }>(mcp, 'list_sessions', { labels: { [OWN_LABEL]: own } });
      expect(listed.sessions.map((x) => x.id).sort()).toEqual([s.id, fork.id].sort());

      const resources = await mcp.client.listResources();
      expect(resources.resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['berth://sessions', `berth://sessions/${s.id}/logs`, `berth://sessions/${fork.id}/logs`]));
      const templates = await mcp.client.listResourceTemplates();
      expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(expect.arrayContaining(['berth://sessions/{session}/logs', 'berth://sessions/{session}/logs{?tail}']));
      const sessionsRes = await mcp.client.readResource({ uri: 'berth://sessions' });
      const fromRes = resourceJson(sessionsRes) as unknown as { sessions: Summary[] };
      expect(fromRes.sessions.map((x) => x.id)).toEqual(expect.arrayContaining([s.id, fork.id]));
      const logs = await mcp.client.readResource({ uri: `berth://sessions/${s.id}/logs` });
      expect(resourceJson(logs)).toMatchObject({ session: s.id, tail: 100, stdout: 'hello-from-main\n', stderr: '' });
      const tailed = await mcp.client.readResource({ uri: `berth://sessions/${s.id}/logs?tail=1` });
      expect(resourceJson(tailed)).toMatchObject({ tail: 1, stdout: 'hello-from-main\n' });

      const snapshot = (await daemon!.client.sessions.get(fork.id)).snapshotImage!;
      expect(await berth.engineClient.imageExists(snapshot)).toBe(true);
      expect(await ok(mcp, 'end_session', { session: fork.id })).toMatchObject({ id: fork.id, state: 'ended' });
      expect(await ok(mcp, 'end_session', { session: s.id })).toMatchObject({ id: s.id, state: 'ended' });
      expect(await ownContainers()).toEqual([]);
      expect(await berth.engineClient.imageExists(snapshot)).toBe(false);
      expect((await ok<{ sessions: Summary[] }>(mcp, 'list_sessions', { labels: { [OWN_LABEL]: own } })).sessions).toEqual([]);
      const all = await ok<{ sessions: Summary[] }>(mcp, 'list_sessions', { labels: { [OWN_LABEL]: own }, all: true });
      expect(all.sessions.map((x) => x.state)).toEqual(['ended', 'ended']);
    });

    it('binds host directories read-only unless told otherwise', async () => {
      nextTest();
      const mcp = await connect(dirs.socket);
      const host = mkdtempSync(join(mountRoot, 'mount-'));
      hostDirs.push(host);
      writeFileSync(join(host, 'in.txt'), 'from the host');
      const s = await ok<Summary>(mcp, 'create_session', {
        name: uniqueName('mcp-mount'),
        image: FIXTURE_IMAGE,
        network: 'none',
        labels: labels(),
        mounts: [{ source: host, target: '/ro' }, { source: host, target: '/rw', readOnly: false }],
      });
      expect(await ok(mcp, 'exec', { session: s.id, cmd: ['cat', '/ro/in.txt'] })).toMatchObject({ exitCode: 0, stdout: 'from the host' });
      const denied = await ok<{ exitCode: number; stderr: string }>(mcp, 'exec', { session: s.id, cmd: ['sh', '-c', 'echo x > /ro/new.txt'] });
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toMatch(/read-only/i);
      expect(await ok(mcp, 'exec', { session: s.id, cmd: ['sh', '-c', 'echo written > /rw/new.txt'] })).toMatchObject({ exitCode: 0 });
      expect(readFileSync(join(host, 'new.txt'), 'utf8')).toBe('written\n');
      await ok(mcp, 'end_session', { session: s.id });
    });

    it("answers bad arguments with tool errors carrying berth's code, and keeps serving", async () => {
      nextTest();
      const mcp = await connect(dirs.socket);
      const s = await ok<Summary>(mcp, 'create_session', { name: uniqueName('mcp-bad'), image: FIXTURE_IMAGE, network: 'none', labels: labels() });

      expect(await toolError(mcp, 'exec', { session: s.id })).toMatch(/^InvalidArgument: invalid exec arguments: cmd: /);
      expect(await toolError(mcp, 'exec', { session: s.id, cmd: 'ls -la' })).toMatch(/^InvalidArgument: .*cmd: .*expected array/);
      expect(await toolError(mcp, 'exec', { session: s.id, cmd: [] })).toMatch(/^InvalidArgument: .*argv array, not a shell string/);
      expect(await toolError(mcp, 'exec', { session: s.id, cmd: ['true'], shell: true })).toMatch(/^InvalidArgument: .*shell/);
      expect(await toolError(mcp, 'read_file', { session: s.id, path: '../../etc/passwd' })).toMatch(/^PolicyDenied: .*outside the sandbox's base dir/);
      expect(await toolError(mcp, 'write_file', { session: s.id, path: '/etc/evil', content: 'x' })).toMatch(/^PolicyDenied: /);
      expect(await toolError(mcp, 'exec', { session: 's-000000000000', cmd: ['true'] })).toMatch(/^NotFound: /);
      expect(await toolError(mcp, 'session_stats', { session: uniqueName('nobody') })).toMatch(/^NotFound: /);
      expect(await toolError(mcp, 'create_session', { image: FIXTURE_IMAGE, memory: 'lots', labels: labels() })).toMatch(/^InvalidArgument: .*memory/);
      expect(await toolError(mcp, 'export_directory', { session: s.id, path: '.', hostDir: 'relative/dir' })).toMatch(/^InvalidArgument: .*hostDir: must be an absolute host path/);
      expect(await toolError(mcp, 'no_such_tool', {})).toMatch(/^NotFound: no tool "no_such_tool"/);
      const bad = await call(mcp, 'exec', { session: s.id, cmd: 'ls' });
      expect(bad._meta?.['berth/error']).toMatchObject({ code: 'InvalidArgument' });
      await expect(mcp.client.readResource({ uri: 'berth://sessions/s-000000000000/logs' })).rejects.toThrow(/NotFound: /);
      await expect(mcp.client.readResource({ uri: `berth://sessions/${s.id}/logs?tail=lots` })).rejects.toThrow(/InvalidArgument: tail/);

      expect(await ok(mcp, 'exec', { session: s.id, cmd: ['echo', 'still here'] })).toMatchObject({ exitCode: 0, stdout: 'still here\n' });
      expect(await ok(mcp, 'end_session', { session: s.id })).toMatchObject({ state: 'ended' });
      expect(await toolError(mcp, 'exec', { session: s.id, cmd: ['true'] })).toMatch(/^Conflict: /);
    });
  });

  it('runs in-process when no daemon answers, says so on stderr, and ends its sessions on exit', async () => {
    nextTest();
    const dir = mkdtempSync(join(tmpdir(), 'berth-mcp-nodaemon-'));
    hostDirs.push(dir);
    const socket = join(dir, 'none.sock');
    const mcp = await connect(socket, ['--engine', engine]);
    await stderrMatching(mcp, new RegExp(`no daemon answers at ${socket}; running in-process on ${engine} `));
    expect((await mcp.client.listTools()).tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());

    const s = await ok<Summary>(mcp, 'create_session', { name: uniqueName('mcp-local'), image: FIXTURE_IMAGE, network: 'none', labels: labels() });
    const kept = await ok<Summary>(mcp, 'create_session', { name: uniqueName('mcp-kept'), image: FIXTURE_IMAGE, network: 'none', labels: labels() });
    expect(await ok(mcp, 'exec', { session: s.id, cmd: ['sh', '-c', 'echo in-process; echo e >&2'] })).toMatchObject({ exitCode: 0, stdout: 'in-process\n', stderr: 'e\n' });
    await ok(mcp, 'write_file', { session: s.id, path: 'x.txt', content: 'local' });
    expect(await ok(mcp, 'read_file', { session: s.id, path: 'x.txt' })).toMatchObject({ content: 'local' });
    expect(await toolError(mcp, 'exec', { session: s.id, cmd: 'ls' })).toMatch(/^InvalidArgument: /);
    expect(await ok(mcp, 'session_stats', { session: s.id })).toMatchObject({ session: { id: s.id, state: 'running' }, execs: { recorded: 1 } });
    expect(await ok(mcp, 'end_session', { session: s.id })).toMatchObject({ state: 'ended' });
    expect((await ownContainers()).map((r) => r.Labels['berth.session'])).toEqual([kept.id]);

    await mcp.close();
    expect(await ownContainers()).toEqual([]);
  });
});
