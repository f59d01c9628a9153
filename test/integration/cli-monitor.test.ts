import { spawn } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliDaemon, type CliDaemon } from '../support/cli.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** The CLI as user `nobody` (setpriv), against `socket`. */
function asNobody(socket: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, '--socket', socket, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe(`CLI: stats, events, audit, networks, workflows, the socket (${engineUnderTest()})`, () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-mon');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stats lists running sessions only (-a adds ended ones), with figures for a new session at once; quiet into head', async () => {
    const gone = (await t.cli(['run', '--name', 'gone', FIXTURE_IMAGE])).stdout.trim();
    await t.cli(['stats', '--no-stream']);
    expect((await t.cli(['rm', 'gone'])).code).toBe(0);
    const fresh = (await t.cli(['run', '--name', 'fresh', FIXTURE_IMAGE])).stdout.trim();
    const once = await t.cli(['stats', '--no-stream']);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toContain(fresh);
    expect(once.stdout).toMatch(/fresh\s+\d+\.\d\d%\s+\S+ \/ 512MiB/);
    expect(once.stdout).not.toContain(gone);
    const json = JSON.parse((await t.cli(['stats', '--json', '-a'])).stdout) as Array<{ sessionId: string }>;
    expect(json.map((s) => s.sessionId)).toEqual(expect.arrayContaining([fresh, gone]));
    const head = await t.sh('berth stats --interval 200ms | head -2; echo "status=${PIPESTATUS[0]}"');
    expect(head.stdout).toMatch(/^SESSION\s+NAME/);
    expect(head.stdout).toContain('status=0');
    expect(head.stderr).not.toMatch(/EPIPE|Error/);
    expect((await t.cli(['stats', '--interval', 'often'])).code).toBe(125);
  });

  it('audit names actions, not routes; events show session names', async () => {
    const events = spawn(process.execPath, [BIN, '--socket', t.socket, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    events.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const id = (await t.cli(['run', '--name', 'watched', FIXTURE_IMAGE])).stdout.trim();
      expect((await t.cli(['stop', '-t', '0', 'watched'])).code).toBe(0);
      for (let i = 0; i < 100 && !/session\.state\s+watched/.test(seen); i++) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  session\.state\s+watched /m);
      expect(seen).not.toContain(id);
    } finally {
      events.kill();
    }
    const audit = await t.cli(['audit', '--since', '10m']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/session create\s+/);
    expect(audit.stdout).toMatch(/session stop\s+/);
    expect(audit.stdout).not.toContain('/v1/');
  });

  it('network connect and disconnect take a session name', async () => {
    const net = uniqueName('cn');
    expect((await t.cli(['network', 'create', net, '--label', `${TEST_LABEL}=${runId()}`])).code).toBe(0);
    try {
      const id = (await t.cli(['run', '--name', 'joiner', '--network', 'isolated', FIXTURE_IMAGE])).stdout.trim();
      expect(await t.cli(['network', 'connect', net, 'joiner'])).toMatchObject({ code: 0, stdout: 'connected\n' });
      expect((await t.cli(['network', 'inspect', net])).stdout).toContain(`berth-${id}`);
      expect(await t.cli(['network', 'disconnect', net, 'joiner'])).toMatchObject({ code: 0, stdout: 'disconnected\n' });
      expect((await t.cli(['rm', 'joiner'])).code).toBe(0);
    } finally {
      await t.cli(['network', 'rm', net]);
    }
  });

  it('workflow run --report json writes only the report to stdout', async () => {
    const file = join(t.dir, 'wf.yaml');
    writeFileSync(file, ['name: rep', `image: ${FIXTURE_IMAGE}`, 'steps:', '  - { id: a, command: [sh, -c, "echo hi"] }'].join('\n'));
    const r = await t.cli(['workflow', 'run', file, '--report', 'json', '--label', `${TEST_LABEL}=${runId()}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded' });
    expect(r.stderr).toContain('run ');
  });

  it('a user who cannot open the 0600 socket is told so and how to allow it, not to start a daemon', async () => {
    chmodSync(t.dir, 0o755);
    expect(statSync(t.socket).mode & 0o777).toBe(0o600);
    const r = await asNobody(t.socket, ['ps']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('permission denied');
    expect(r.stderr).toContain('groupadd berth');
    expect(r.stderr).not.toContain('start it with');
  });
});
