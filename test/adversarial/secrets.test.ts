import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Berth } from '../../src/index.js';
import type { BerthEvent } from '../../src/monitor/event-bus.js';
import { SNAPSHOT_REPO } from '../../src/session/session-manager.js';
import { daemonDirs, runCli, type DaemonProcess } from '../support/daemon.js';
import { startPatientDaemon } from '../support/patient-daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;
const OWN = 'berth.test.secrets';
const own = `${runId()}-${randomBytes(3).toString('hex')}`;
const labels = { [TEST_LABEL]: runId(), [OWN]: own };

/** A value that appears nowhere unless berth leaks it. */
const canary = (hint: string) => `canary-${hint}-${randomBytes(8).toString('hex')}`;

/** Every file under `dir`, as bytes (the database, its WAL, logs, anything). */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

describe(`secret environment (${engineUnderTest()})`, () => {
  const engine = engineUnderTest();
  const dirs = daemonDirs('secrets');
  let daemon: DaemonProcess;
  const secrets = {
    pattern: canary('pattern'),
    marked: canary('marked'),
    defaults: canary('defaults'),
    hostHost: canary('host-host'),
    hostToken: canary('host-token'),
    cli: canary('cli'),
    cliHost: canary('cli-host'),
    mcp: canary('mcp'),
    mcpPattern: canary('mcp-pattern'),
  };
  const berthOwn = canary('berth-own');
  const leaks = (text: string) => Object.values(secrets).filter((v) => text.includes(v));
  const events: BerthEvent[] = [];
  let closeEvents = () => {};

  beforeAll(async () => {
    daemon = await startPatientDaemon(dirs, { env: { DATABRICKS_HOST: secrets.hostHost, DATABRICKS_TOKEN: secrets.hostToken, BERTH_PROBE_SECRET: berthOwn } });
    const sub = await daemon.client.monitor.events();
    closeEvents = sub.close;
    void (async () => {
      for await (const e of sub.events) events.push(e);
    })().catch(() => undefined);
  });
  afterAll(async () => {
    closeEvents();
    const berth = await Berth.connect({ engine });
    for (const c of await berth.engineClient.listContainers([`${OWN}=${own}`], true)) {
      await berth.engineClient.removeContainer(c.Id, { force: true, volumes: true });
      if (c.Image.startsWith(`${SNAPSHOT_REPO}:`)) await berth.engineClient.removeImage(c.Image).catch(() => undefined);
    }
    await berth.close();
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill('SIGTERM');
      await Promise.race([daemon.exited, sleep(10_000)]);
    }
    dirs.rm();
  });

  it('secrets given through the HTTP API, by name pattern, by marking and from the host reach the process, and only *** reaches every surface', async () => {
    const c = daemon.client;
    const s = await c.sessions.create({
      name: uniqueName('secret-api'),
      image: FIXTURE_IMAGE,
      labels,
      env: { API_TOKEN: secrets.pattern, PLAIN_VAR: 'plain-visible' },
      secretEnv: { OPAQUE: secrets.marked },
      envFromHost: ['DATABRICKS_*', 'BERTH_*'],
    });
    expect(s.spec.env).toMatchObject({ API_TOKEN: '***', OPAQUE: '***', DATABRICKS_HOST: '***', DATABRICKS_TOKEN: '***', PLAIN_VAR: 'plain-visible' });
    expect(s.secretEnv).toEqual(['API_TOKEN', 'DATABRICKS_HOST', 'DATABRICKS_TOKEN', 'OPAQUE']);
    expect(s.envFromHost).toEqual({ patterns: ['DATABRICKS_*', 'BERTH_*'], taken: ['DATABRICKS_HOST', 'DATABRICKS_TOKEN'] });
    const d = await c.sessions.setDefaults(s.id, { env: { DB_PASSWORD: secrets.defaults, SHOWN: 'yes' } });
    expect(d.execDefaults.env).toEqual({ DB_PASSWORD: '***', SHOWN: 'yes' });

    const env = (await c.sessions.exec(s.id, { cmd: ['env'] })).stdout;
    for (const v of [secrets.pattern, secrets.marked, secrets.defaults, secrets.hostHost, secrets.hostToken]) expect(env).toContain(v);
    expect(env).toContain('PLAIN_VAR=plain-visible');
    expect(env).not.toContain(berthOwn);

    const fork = await c.sessions.fork(s.id, { name: uniqueName('secret-fork') });
    expect(fork.spec.env).toMatchObject({ API_TOKEN: '***', OPAQUE: '***' });
    const forkEnv = (await c.sessions.exec(fork.id, { cmd: ['env'] })).stdout;
    for (const v of [secrets.pattern, secrets.marked, secrets.defaults, secrets.hostToken]) expect(forkEnv).toContain(v);

    const inspect = await runCli(dirs.socket, ['inspect', s.id]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('"API_TOKEN": "***"');
    expect(leaks(inspect.stdout)).toEqual([]);
    expect(leaks(JSON.stringify(await c.sessions.list({ all: true })))).toEqual([]);
    await c.sessions.remove(fork.id);
  });

  it('the CLI takes --secret-env NAME and --env-from-host from its own environment, keeps the values out of its argv and shows ***', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, '--socket', dirs.socket, 'run', '--name', uniqueName('secret-cli'), '--image', FIXTURE_IMAGE, '--label', `${TEST_LABEL}=${runId()}`, '--label', `${OWN}=${own}`, '--secret-env', 'CLI_SECRET', '--env-from-host', 'DBX_*'],
        { env: { ...process.env, CLI_SECRET: secrets.cli, DBX_HOST: secrets.cliHost }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('took from your environment: DBX_HOST');
    expect(leaks(run.stderr)).toEqual([]);
    const id = run.stdout.trim();
    const env = await runCli(dirs.socket, ['exec', id, '--', 'env']);
    expect(env.stdout).toContain(`CLI_SECRET=${secrets.cli}`);
    expect(env.stdout).toContain(`DBX_HOST=${secrets.cliHost}`);
    const inspect = await runCli(dirs.socket, ['inspect', id]);
    expect(inspect.stdout).toContain('"CLI_SECRET": "***"');
    expect(leaks(inspect.stdout)).toEqual([]);
    await daemon.client.sessions.remove(id);
  });

  it('secrets given through MCP reach the process; no MCP result or resource shows them; envFromHost is not an MCP argument', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--socket', dirs.socket, 'mcp'], env, stderr: 'pipe' });
    const mcp = new Client({ name: 'berth-secrets-test', version: '1.0.0' });
    await mcp.connect(transport);
    try {
      const call = async (name: string, args: Record<string, unknown>) => (await mcp.callTool({ name, arguments: args })) as CallToolResult;
      const created = await call('create_session', {
        name: uniqueName('secret-mcp'),
        image: FIXTURE_IMAGE,
        labels,
        env: { MCP_API_KEY: secrets.mcpPattern },
        secretEnv: { MCP_SECRET: secrets.mcp },
      });
      expect(created.isError).toBeFalsy();
      expect(leaks(JSON.stringify(created))).toEqual([]);
      const id = (created.structuredContent as { id: string; secretEnv: string[] }).id;
      expect((created.structuredContent as { secretEnv: string[] }).secretEnv).toEqual(['MCP_API_KEY', 'MCP_SECRET']);
      const exec = await call('exec', { session: id, cmd: ['env'] });
      const out = (exec.structuredContent as { stdout: string }).stdout;
      expect(out).toContain(`MCP_SECRET=${secrets.mcp}`);
      expect(out).toContain(`MCP_API_KEY=${secrets.mcpPattern}`);
      expect(leaks(JSON.stringify(await call('list_sessions', { all: true })))).toEqual([]);
      expect(leaks(JSON.stringify(await mcp.readResource({ uri: 'berth://sessions' })))).toEqual([]);
      const take = await call('create_session', { image: FIXTURE_IMAGE, labels, envFromHost: ['*'] });
      expect(take.isError).toBe(true);
      await call('end_session', { session: id });
    } finally {
      await mcp.close();
    }
  });

  it('an untrusted caller cannot pull the daemon environment into a sandbox with envFromHost', async () => {
    const { request } = await import('node:http');
    const body = JSON.stringify({ image: FIXTURE_IMAGE, labels, envFromHost: ['DATABRICKS_*'] });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { socketPath: dirs.socket, method: 'POST', path: '/v1/sessions', headers: { 'content-type': 'application/json', 'x-berth-trust': 'untrusted' } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('envFromHost');
    expect(leaks(answer.text)).toEqual([]);
  });

  it('no secret value is in the data dir (SQLite file, WAL, anything), the audit table, the daemon log (debug level) or the event stream', async () => {
    const files = filesUnder(dirs.dataDir);
    expect(files.some((f) => f.path.endsWith('berth.db'))).toBe(true);
    const found = files.flatMap((f) => Object.values(secrets).filter((v) => f.bytes.includes(v)).map((v) => `${f.path}: ${v}`));
    expect(found).toEqual([]);
    const audit = await daemon.client.security.audit({ limit: 100_000 });
    expect(audit.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(audit))).toEqual([]);
    expect(daemon.log().length).toBeGreaterThan(0);
    expect(leaks(daemon.log())).toEqual([]);
    expect(events.some((e) => e.type === 'session.state')).toBe(true);
    expect(leaks(JSON.stringify(events))).toEqual([]);
  });

  it('local-backend sessions get their sealed secrets back for every exec, across a daemon restart', async () => {
    const value = canary('local');
    const s = await daemon.client.sessions.create({ name: uniqueName('secret-local'), backend: 'local', labels, secretEnv: { LOCAL_SECRET: value } });
    try {
      expect((await daemon.client.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo $LOCAL_SECRET'] })).stdout).toBe(`${value}\n`);
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      const log = daemon.log();
      daemon = await startPatientDaemon(dirs, { env: { DATABRICKS_HOST: secrets.hostHost, DATABRICKS_TOKEN: secrets.hostToken } });
      expect((await daemon.client.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo $LOCAL_SECRET'] })).stdout).toBe(`${value}\n`);
      expect(log.includes(value)).toBe(false);
      expect(filesUnder(dirs.dataDir).filter((f) => f.bytes.includes(value)).map((f) => f.path)).toEqual([]);
    } finally {
      await daemon.client.sessions.remove(s.id);
    }
  });
});
