import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Berth, BerthClient } from '../../src/index.js';
import { daemonDirs, type DaemonProcess } from '../support/daemon.js';
import { startPatientDaemon } from '../support/patient-daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;
const SCRIPT = new URL('../../scripts/daemon.sh', import.meta.url).pathname;
const labels = { [TEST_LABEL]: runId() };
const TOKEN = `state-test-token-${runId()}-0123456789`;

const modeOf = (p: string) => lstatSync(p).mode & 0o7777;

/** A free loopback port (closed again before the daemon takes it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Every file and directory under `dir` with its mode, e.g. `data/berth.db 600`. */
function modesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = join(rel, e.name);
    out.push(`${p} ${modeOf(join(dir, p)).toString(8)}`);
    if (e.isDirectory()) out.push(...modesUnder(dir, p));
  }
  return out;
}

/**
 * Runs the CLI until it exits (or 90 s, then kills it: a daemon that should have refused
 * to start and did not). Resolves with its exit code (null when it had to be killed).
 */
function runUntilExit(args: string[], o: { env?: Record<string, string>; umask?: string } = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = o.umask
      ? spawn('/bin/sh', ['-c', `umask ${o.umask}; exec "$0" "$@"`, process.execPath, BIN, ...args], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe(`state the daemon keeps (${engineUnderTest()})`, () => {
  const daemons: DaemonProcess[] = [];
  const dirsList: Array<ReturnType<typeof daemonDirs>> = [];
  const newDirs = (hint: string) => {
    const d = daemonDirs(hint);
    dirsList.push(d);
    return d;
  };
  const track = (p: DaemonProcess) => (daemons.push(p), p);

  afterEach(async () => {
    for (const p of daemons.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        await Promise.race([p.exited, sleep(10_000)]);
      }
    }
  });
  afterAll(async () => {
    const berth = await Berth.connect({ engine: engineUnderTest() });
    const run = runId();
    for (const c of await berth.engineClient.listContainers([`${TEST_LABEL}=${run}`, 'berth.test.state=1'], true)) await berth.engineClient.removeContainer(c.Id, { force: true, volumes: true });
    await berth.close();
    for (const d of dirsList) d.rm();
  });

  it('an installer-made 0755 data dir with a 0644 database and lock is made private: dir 0700, every file 0600', async () => {
    const d = newDirs('modes');
    mkdirSync(d.dataDir, { mode: 0o755 });
    chmodSync(d.dataDir, 0o755);
    writeFileSync(join(d.dataDir, 'berth.db'), '', { mode: 0o644 });
    writeFileSync(join(d.dataDir, 'daemon.lock'), '999999999', { mode: 0o644 });
    const p = track(await startPatientDaemon({ socket: d.socket, dataDir: d.dataDir }, { umask: '022' }));
    await p.client.sessions.list();
    expect(modeOf(d.dataDir)).toBe(0o700);
    const loose = modesUnder(d.dataDir).filter((line) => Number.parseInt(line.split(' ')[1]!, 8) & 0o077);
    expect(loose).toEqual([]);
    expect(modeOf(join(d.dataDir, 'berth.db'))).toBe(0o600);
    expect(modeOf(join(d.dataDir, 'daemon.lock'))).toBe(0o600);
  });

  it('under umask 000 the socket is 0600 and its new directory 0700; a 0755 socket directory is tightened', async () => {
    const d = newDirs('sock');
    const fresh = join(d.dir, 'run', 'berth.sock');
    const p = track(await startPatientDaemon({ socket: fresh, dataDir: d.dataDir }, { umask: '000' }));
    expect(modeOf(fresh)).toBe(0o600);
    expect(modeOf(join(d.dir, 'run'))).toBe(0o700);
    expect(modeOf(d.dataDir)).toBe(0o700);
    expect(modesUnder(d.dataDir).filter((line) => Number.parseInt(line.split(' ')[1]!, 8) & 0o077)).toEqual([]);
    expect(readdirSync(join(d.dir, 'run'))).toEqual(['berth.sock']);
    p.child.kill('SIGTERM');
    await p.exited;
    const old = join(d.dir, 'old-run');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    track(await startPatientDaemon({ socket: join(old, 'berth.sock'), dataDir: d.dataDir }, { umask: '000' }));
    expect(modeOf(old)).toBe(0o700);
    expect(modeOf(join(old, 'berth.sock'))).toBe(0o600);
  });

  it('with a socket group, the directory is 0750 and the socket 0660 of that group, still from the start', async () => {
    const d = newDirs('group');
    const sock = join(d.dir, 'grp', 'berth.sock');
    track(await startPatientDaemon({ socket: sock, dataDir: d.dataDir }, { umask: '000', args: ['--engine', engineUnderTest(), '--socket-group', '0'] }));
    expect(modeOf(join(d.dir, 'grp'))).toBe(0o750);
    expect(lstatSync(join(d.dir, 'grp')).gid).toBe(0);
    expect(modeOf(sock)).toBe(0o660);
    expect(lstatSync(sock).gid).toBe(0);
  });

  it('a socket path in a shared (sticky, world-writable) directory is refused: others could replace the socket', async () => {
    const d = newDirs('shared');
    const shared = join(d.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const r = await runUntilExit(['--socket', join(shared, 'berth.sock'), 'daemon', '--data-dir', d.dataDir, '--engine', engineUnderTest()]);
    expect(r.code).not.toBe(null);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is shared .*directory of its own/);
    expect(existsSync(join(shared, 'berth.sock'))).toBe(false);
  });

  it('scripts/daemon.sh leaves its data dir, log dir, log and build stamp private, even over an old 0755 install', async () => {
    const d = newDirs('script');
    const logDir = join(d.dir, 'log');
    mkdirSync(d.dataDir, { mode: 0o755 });
    chmodSync(d.dataDir, 0o755);
    const env = { BERTH_SOCKET: d.socket, BERTH_DATA_DIR: d.dataDir, BERTH_LOG_DIR: logDir, BERTH_ENGINE: engineUnderTest() };
    const sh = (cmd: string) => execFileSync('bash', [SCRIPT, cmd], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    try {
      expect(sh('start')).toMatch(/daemon: up/);
      expect(modeOf(d.dataDir)).toBe(0o700);
      expect(modeOf(logDir)).toBe(0o700);
      expect(modeOf(join(logDir, 'daemon.log'))).toBe(0o600);
      expect(modeOf(join(d.dataDir, 'daemon.build'))).toBe(0o600);
      expect(modeOf(d.socket)).toBe(0o600);
    } finally {
      sh('stop');
    }
  });

  it('a token in argv is refused (ps and /proc/PID/cmdline show argv to every user), saying to use --token-file or BERTH_TOKEN', async () => {
    const d = newDirs('argv');
    const port = await freePort();
    const r = await runUntilExit(['--socket', d.socket, 'daemon', '--data-dir', d.dataDir, '--engine', engineUnderTest(), '--tcp', `127.0.0.1:${port}`, '--token', TOKEN]);
    expect(r.code).not.toBe(null);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--token-file/);
    expect(r.stderr).toMatch(/BERTH_TOKEN/);
    const cli = await runUntilExit(['--url', `http://127.0.0.1:${port}`, '--token', TOKEN, 'ps']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/--token is refused/);
  });

  it('plain TCP on a non-loopback address is refused without --insecure-tcp (the token would cross the network in clear)', async () => {
    const d = newDirs('wild');
    const r = await runUntilExit(['--socket', d.socket, 'daemon', '--data-dir', d.dataDir, '--engine', engineUnderTest(), '--tcp', `0.0.0.0:${await freePort()}`], { env: { BERTH_TOKEN: TOKEN } });
    expect(r.code).not.toBe(null);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/plain TCP is for loopback only/);
  });

  it('serves TLS with the token from a file: the token is not in the daemon argv; client and CLI use --tls-ca; plain HTTP and an unknown CA get nothing', async () => {
    const d = newDirs('tls');
    const cert = join(d.dir, 'cert.pem');
    const key = join(d.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    chmodSync(key, 0o600);
    const tokenFile = join(d.dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const port = await freePort();
    const p = track(await startPatientDaemon(d, { args: ['--engine', engineUnderTest(), '--tcp', `127.0.0.1:${port}`, '--token-file', tokenFile, '--tls-cert', cert, '--tls-key', key] }));
    expect(readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    const url = `https://127.0.0.1:${port}`;
    const c = BerthClient.connect({ url, token: TOKEN, ca: readFileSync(cert) });
    expect(await c.ping()).toEqual({ ok: true });
    const s = await c.sessions.create({ name: uniqueName('tls'), image: FIXTURE_IMAGE, labels: { ...labels, 'berth.test.state': '1' } });
    try {
      expect((await c.sessions.exec(s.id, { cmd: ['sh', '-c', 'echo over-tls > /workspace/f.txt; cat /workspace/f.txt'] })).stdout).toBe('over-tls\n');
      const out = join(d.dir, 'f.txt');
      await c.files.copyOut(s.id, 'f.txt', out);
      expect(readFileSync(out, 'utf8')).toBe('over-tls\n');
      const noCa = await BerthClient.connect({ url, token: TOKEN }).ping().catch((e: unknown) => e);
      expect(noCa).toBeInstanceOf(Error);
      const plain = await BerthClient.connect({ url: `http://127.0.0.1:${port}`, token: TOKEN }).ping().catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(Error);
      const viaFlags = await runUntilExit(['--url', url, '--token-file', tokenFile, '--tls-ca', cert, 'ps']);
      expect(viaFlags.stderr).toBe('');
      expect(viaFlags.stdout).toContain(s.id);
      const viaEnv = await runUntilExit(['exec', s.id, '--', 'cat', '/workspace/f.txt'], { env: { BERTH_URL: url, BERTH_TOKEN_FILE: tokenFile, BERTH_TLS_CA: cert } });
      expect(viaEnv).toMatchObject({ code: 0, stdout: 'over-tls\n' });
    } finally {
      await c.sessions.remove(s.id);
    }
  });

  it('an unauthenticated flood of 8 KB paths leaves at most 60 short rows a minute in the audit log', async () => {
    const d = newDirs('flood');
    const port = await freePort();
    const p = track(await startPatientDaemon(d, { env: { BERTH_TOKEN: TOKEN }, args: ['--engine', engineUnderTest(), '--tcp', `127.0.0.1:${port}`] }));
    const path = `/${'x'.repeat(8192)}`;
    for (let i = 0; i < 150; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
    }
    const rows = (await p.client.security.audit({ limit: 100_000 })).filter((r) => r.actor === 'tcp:unauthenticated');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(60);
    for (const r of rows) {
      expect(Buffer.byteLength(r.action)).toBeLessThanOrEqual(256);
      expect(r.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });

  it('retention bounds the whole audit table (config audit.maxRows)', async () => {
    const d = newDirs('retention');
    mkdirSync(d.dataDir, { recursive: true });
    writeFileSync(join(d.dataDir, 'config.json'), JSON.stringify({ audit: { maxRows: 20, pruneIntervalMs: 1000 } }));
    const p = track(await startPatientDaemon(d));
    for (let i = 0; i < 40; i++) await p.client.sessions.create({ name: 'bad name!' }).catch(() => undefined);
    let count = Infinity;
    for (let i = 0; i < 100 && count > 20; i++) {
      count = (await p.client.security.audit({ limit: 100_000 })).length;
      if (count > 20) await sleep(200);
    }
    expect(count).toBeLessThanOrEqual(20);
  });

  it('a TCP request aborted by its client is audited as the token and its peer, not as root on the unix socket', async () => {
    const d = newDirs('abort');
    const port = await freePort();
    const p = track(await startPatientDaemon(d, { env: { BERTH_TOKEN: TOKEN }, args: ['--engine', engineUnderTest(), '--tcp', `127.0.0.1:${port}`] }));
    const s = await p.client.sessions.create({ name: uniqueName('abort'), image: FIXTURE_IMAGE, labels: { ...labels, 'berth.test.state': '1' } });
    try {
      // Output at once, so the response has begun when the client hangs up mid-stream.
      const body = JSON.stringify({ cmd: ['sh', '-c', 'echo started; exec sleep 20'] });
      await new Promise<void>((resolve, reject) => {
        const sock = netConnect(port, '127.0.0.1');
        sock.on('error', reject);
        sock.write(
          `POST /v1/sessions/${s.id}/exec/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
        sock.once('data', () => {
          sock.destroy();
          resolve();
        });
      });
      let row: { actor: string; peer: string } | undefined;
      for (let i = 0; i < 100 && !row; i++) {
        row = (await p.client.security.audit({ limit: 100_000 })).find((r) => r.action === 'POST /v1/sessions/:id/exec/stream' && r.target === s.id);
        if (!row) await sleep(100);
      }
      expect(row?.actor).toMatch(/^token:[0-9a-f]{12}$/);
      expect(row?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await p.client.sessions.remove(s.id);
    }
  });
});
