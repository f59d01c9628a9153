// The session agent (issue 17): exec `true` through the agent (in-process, raw connection,
// daemon HTTP API, CLI) against raw dockerode exec and the engine's CLI, in one run per
// engine; 1000 sequential execs and 16 parallel streams of 100 (exit codes exact); 10 MB
// on both streams at once (sha256 exact); the agent's idle RSS, ready time and size.
// Also a floor: the same agent run on the host (no container), which is this machine's
// fork+exec cost.
// Usage: node bench/agent-exec.mjs [--engine docker|podman|both] [--n 200]
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Berth } from '../dist/index.js';
import { AgentConnection } from '../dist/agent/agent-connection.js';
import { FrameParser } from '../dist/agent/protocol.js';
import { BIN, startBenchDaemon } from './daemon-lib.mjs';
import { benchArgs, report, summary, timed } from './lib.mjs';

const run = promisify(execFile);
const { engines, n } = benchArgs(200);
const AGENT = new URL('../agent/build/berth-agent', import.meta.url).pathname;
const sha = (b) => createHash('sha256').update(b).digest('hex');

async function rawExec(docker, containerId) {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: false });
  stream.resume();
  await new Promise((r) => stream.on('end', r));
  for (;;) {
    const s = await exec.inspect();
    if (!s.Running) return s.ExitCode;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function agentTrue(conn) {
  const p = conn.start({ argv: ['true'] });
  p.stdout.resume();
  p.stderr.resume();
  const x = await p.exit;
  if (x.kind !== 'code' || x.code !== 0) throw new Error(`true ended ${JSON.stringify(x)}`);
}

/** The agent on the host, connected to a socket here: the floor of fork+exec on this machine. */
async function hostAgent() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-agent-'));
  const path = join(dir, 'a.sock');
  let child;
  const conn = await new Promise((resolve) => {
    const srv = createServer((sock) => {
      const parser = new FrameParser();
      sock.once('data', (d) => resolve(new AgentConnection(sock, { pid: parser.push(d)[0].id, version: 'host' })));
      srv.close();
    });
    srv.listen(path, () => (child = spawn(AGENT, ['--connect', path], { stdio: 'ignore' })));
  });
  return { conn, stop: () => (conn.close(), child.kill(), rmSync(dir, { recursive: true, force: true })) };
}

const host = await hostAgent();
console.log(`agent binary: ${AGENT} ${statSync(AGENT).size} bytes (static, stripped)`);

for (const engine of engines) {
  const berth = await Berth.connect({ engine, instance: `bench-agent-${randomBytes(3).toString('hex')}` });
  const docker = new Docker({ socketPath: berth.engine.socketPath });
  const s = await berth.sessions.create({ image: 'berth-fixture:busybox', labels: { 'berth.bench': 'agent' } });
  let d;
  try {
    d = await startBenchDaemon(engine);
    const ds = await d.client.sessions.create({ image: 'berth-fixture:busybox' });
    const path = (await berth.sessions.get(s.id)).execPath;
    const conn = berth.agents.connection(s.id);
    if (!conn) throw new Error(`no agent in the session: ${JSON.stringify(path)}`);
    const rows = {
      'raw dockerode exec': [],
      'agent, in-process': [],
      'agent, raw connection': [],
      'agent, daemon HTTP': [],
      'agent on the host (floor)': [],
    };
    const once = {
      'raw dockerode exec': () => rawExec(docker, s.containerId),
      'agent, in-process': () => berth.sessions.exec(s.id, { cmd: ['true'] }),
      'agent, raw connection': () => agentTrue(conn),
      'agent, daemon HTTP': () => d.client.sessions.exec(ds.id, { cmd: ['true'] }),
      'agent on the host (floor)': () => agentTrue(host.conn),
    };
    for (let i = 0; i < 5; i++) for (const f of Object.values(once)) await f();
    const labels = Object.keys(once);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < labels.length; k++) {
        const who = labels[(i + k) % labels.length];
        if (who === 'raw dockerode exec' && i >= Math.min(n, 60)) continue;
        rows[who].push(await timed(once[who]));
      }
    }
    report(`${engine} ${berth.engine.version}: exec \`true\` (exec path ${path.path}, ready ${path.readyMs} ms after the start request)`, rows, 'raw dockerode exec');
    const raw = summary(rows['raw dockerode exec']).p50;
    for (const label of ['agent, in-process', 'agent, daemon HTTP']) console.log(`  speed-up ${label}: ${(raw / summary(rows[label]).p50).toFixed(1)}x (target >= 20x)`);

    const cliLabel = `${engine} exec (CLI)`;
    const cli = engine === 'docker' ? ['docker', ['-H', `unix://${berth.engine.socketPath}`, 'exec', ds.containerName, 'true']] : ['podman', ['exec', ds.containerName, 'true']];
    const cliRows = { [cliLabel]: [], 'berth exec (CLI)': [] };
    const cliOnce = { [cliLabel]: () => run(cli[0], cli[1]), 'berth exec (CLI)': () => run(process.execPath, [BIN, '--socket', d.socket, 'exec', ds.id, '--', 'true']) };
    for (let i = 0; i < 3; i++) for (const f of Object.values(cliOnce)) await f();
    for (let i = 0; i < Math.min(n, 30); i++) for (const [k, f] of Object.entries(cliOnce)) cliRows[k].push(await timed(f));
    report(`${engine}: the CLI, whole process`, cliRows, cliLabel, { 'berth exec (CLI)': engine === 'docker' ? 1.1 : 1.0 });

    const rssOf = async () => /VmRSS:\s+(\d+) kB/.exec((await berth.sessions.exec(s.id, { cmd: ['cat', `/proc/${path.agentPid}/status`] })).stdout)?.[1];
    const rssIdle = await rssOf();
    let t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `exit ${i % 256}`] });
      if (r.exitCode !== i % 256) throw new Error(`exec ${i}: exit ${r.exitCode}`);
    }
    console.log(`  1000 sequential execs (sh -c 'exit N'): ${(performance.now() - t0).toFixed(0)} ms, every exit code exact`);
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, k) => {
        for (let i = 0; i < 100; i++) {
          const code = (k * 100 + i) % 256;
          const r = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', `exit ${code}`] });
          if (r.exitCode !== code) throw new Error(`stream ${k} exec ${i}: exit ${r.exitCode}, wanted ${code}`);
        }
      }),
    );
    console.log(`  16 parallel streams of 100 execs: ${(performance.now() - t0).toFixed(0)} ms, every exit code exact`);
    const data = randomBytes(7.5 * 1024 * 1024).toString('base64');
    t0 = performance.now();
    const big = await berth.sessions.exec(s.id, { cmd: ['sh', '-c', 'tee /dev/stderr'], stdin: data });
    const okOut = sha(big.stdout) === sha(data);
    const okErr = sha(big.stderr) === sha(data);
    console.log(`  10 MB in, 10 MB interleaved on stdout and stderr: ${(performance.now() - t0).toFixed(0)} ms, sha256 stdout ${okOut ? 'exact' : 'WRONG'}, stderr ${okErr ? 'exact' : 'WRONG'}`);
    console.log(`  agent RSS: ${rssIdle} kB idle, ${await rssOf()} kB after the runs above (target <= 2048 kB); ready ${path.readyMs} ms after the start request (includes one engine exec)`);
  } finally {
    await berth.sessions.remove(s.id).catch(() => undefined);
    await berth.close();
    await d?.stop();
  }
}
host.stop();
