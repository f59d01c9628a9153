import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Berth, BerthError } from '../../src/index.js';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon } from '../../src/daemon.js';
import { WORKFLOW_LABELS } from '../../src/workflow/session-executor.js';
import type { WorkflowRun, WorkflowsApi } from '../../src/workflow/workflow-run.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL } from '../support/names.js';

interface Backend {
  workflows: WorkflowsApi;
  berth: Berth;
  close(): Promise<void>;
}

/**
 * Podman's /version runs dpkg-query and can pass the 2 s probe timeout on a loaded machine:
 * a few tries before the suite fails for want of an engine.
 */
async function patiently<T>(connect: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await connect();
    } catch (err) {
      const unavailable = BerthError.is(err, 'EngineUnavailable') || /EngineUnavailable/.test(String(err));
      if (!unavailable || i === 5) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** The host directory workflow steps (untrusted) may bind under: beside the daemon's dir, which holds its socket and is denied. */
const mountRoot = (d: { dir: string }) => {
  mkdirSync(`${d.dir}-mounts`, { recursive: true });
  return `${d.dir}-mounts`;
};

const backends: Array<[string, (d: ReturnType<typeof daemonDirs>) => Promise<Backend>]> = [
  [
    'in-process',
    async (d) => {
      const berth = await patiently(() => Berth.connect({ engine: engineUnderTest(), database: join(d.dataDir, 'b.db'), instance: `t-${runId()}-wf`, workflowDir: join(d.dir, 'wf'), mountPolicy: { untrustedRoots: [mountRoot(d)] } }));
      return { workflows: berth.workflows, berth, close: () => berth.close() };
    },
  ],
  [
    'daemon client',
    async (d) => {
      const config = loadConfig({ engine: engineUnderTest(), dataDir: d.dataDir, socket: d.socket, logLevel: 'silent' }, {});
      const daemon = await patiently(() => startDaemon({ ...config, mounts: { untrustedRoots: [mountRoot(d)] } }, silentLogger()));
      return { workflows: BerthClient.connect({ socketPath: d.socket }).workflows, berth: daemon.berth, close: () => daemon.close() };
    },
  ],
];

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

/** A shell step printing the host's uptime (shared by every container) before and after `body`. */
const timedStep = (body: string) => ['sh', '-c', `echo "start $(cut -d' ' -f1 /proc/uptime)"; ${body}; echo "end $(cut -d' ' -f1 /proc/uptime)"`];
const interval = (run: WorkflowRun, id: string) => {
  const tail = run.steps.find((s) => s.id === id)?.logTail ?? '';
  const start = Number(/start (\S+)/.exec(tail)?.[1]);
  const end = Number(/end (\S+)/.exec(tail)?.[1]);
  expect(Number.isFinite(start) && Number.isFinite(end), `uptime stamps in ${id}'s log: ${tail}`).toBe(true);
  return { start, end };
};
const step = (run: WorkflowRun, id: string) => run.steps.find((s) => s.id === id)!;

describe.each(backends)(`workflows through %s (${engineUnderTest()})`, (_label, make) => {
  let b: Backend;
  const dirs = daemonDirs('workflow');
  const labels = { [TEST_LABEL]: runId() };
  const started: string[] = [];
  const yaml = (lines: string[]) => [`name: t`, `image: ${FIXTURE_IMAGE}`, ...lines].join('\n');
  const run = async (source: string, baseDir = dirs.dir) => {
    const r = await b.workflows.start({ source, baseDir, labels, file: 'test.yaml' });
    started.push(r.id);
    return b.workflows.watch(r.id);
  };
  const containersOf = (id: string) => b.berth.engineClient.listContainers([`${WORKFLOW_LABELS.run}=${id}`], true);

  beforeAll(async () => {
    b = await make(dirs);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((id) => b.workflows.cancel(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await b?.close();
    dirs.rm();
    rmSync(mountRoot(dirs), { recursive: true, force: true });
  });

  it('runs two independent 2-second steps at the same time: their intervals overlap', async () => {
    const r = await run(yaml(['steps:', `  - { id: a, command: ${JSON.stringify(timedStep('sleep 2'))} }`, `  - { id: b, command: ${JSON.stringify(timedStep('sleep 2'))} }`]));
    expect(r.status).toBe('succeeded');
    const a = interval(r, 'a');
    const c = interval(r, 'b');
    expect(a.end - a.start).toBeGreaterThanOrEqual(2);
    expect(a.start < c.end && c.start < a.end).toBe(true);
    expect(await containersOf(r.id)).toEqual([]);
  });

  it('runs dependent steps in order and persists status, exit code, duration and log tail', async () => {
    const r = await run(
      yaml([
        'steps:',
        `  - { id: first, command: ${JSON.stringify(timedStep('sleep 0.3'))} }`,
        `  - { id: second, needs: [first], command: ${JSON.stringify(timedStep('true'))} }`,
        `  - { id: third, needs: [second], command: ${JSON.stringify(timedStep('true'))}, env: { GREETING: hi } }`,
      ]),
    );
    expect(r.status).toBe('succeeded');
    expect(interval(r, 'second').start).toBeGreaterThanOrEqual(interval(r, 'first').end);
    expect(interval(r, 'third').start).toBeGreaterThanOrEqual(interval(r, 'second').end);
    const got = await b.workflows.get(r.id);
    expect(got.steps.map((s) => [s.id, s.status, s.exitCode])).toEqual([['first', 'succeeded', 0], ['second', 'succeeded', 0], ['third', 'succeeded', 0]]);
    expect(got.steps.every((s) => (s.durationMs ?? 0) > 0 && s.startedAt && s.endedAt)).toBe(true);
    expect((await b.workflows.list()).some((x) => x.id === r.id)).toBe(true);
  });

  it('conditions: failure() and exit-code tests run, success() dependants are skipped, always() runs', async () => {
    const r = await run(
      yaml([
        'steps:',
        '  - { id: check, command: [sh, -c, "echo sick; exit 3"], continueOnError: true }',
        '  - { id: repair, needs: [check], if: failure(), command: [echo, repairing] }',
        '  - { id: on-three, needs: [check], if: "steps.check.exitCode == 3 && !success()", command: ["true"] }',
        '  - { id: on-zero, needs: [check], if: steps.check.exitCode == 0, command: ["true"] }',
        '  - { id: deploy, needs: [check], command: ["true"] }',
        '  - { id: after-deploy, needs: [deploy], command: ["true"] }',
        '  - { id: report, needs: [repair, deploy], if: always(), command: [echo, done] }',
      ]),
    );
    expect(Object.fromEntries(r.steps.map((s) => [s.id, s.status]))).toEqual({
      check: 'failed', repair: 'succeeded', 'on-three': 'succeeded', 'on-zero': 'skipped', deploy: 'skipped', 'after-deploy': 'skipped', report: 'succeeded',
    });
    expect(step(r, 'check')).toMatchObject({ exitCode: 3 });
    expect(step(r, 'check').logTail).toContain('sick');
    expect(r.status).toBe('succeeded');
  });

  it('passes artifacts (a file and a directory) to every later dependant at the same path', async () => {
    const r = await run(
      yaml([
        'steps:',
        '  - { id: make, command: [sh, -c, "mkdir -p /out/dir/sub && echo file-content > /out/one.txt && echo deep > /out/dir/sub/x"], artifacts: [/out/one.txt, /out/dir] }',
        '  - { id: middle, needs: [make], command: [sh, -c, "cat /out/one.txt"] }',
        '  - { id: last, needs: [middle], command: [sh, -c, "cat /out/one.txt /out/dir/sub/x"] }',
        '  - { id: missing, needs: [make], command: ["true"], artifacts: [/nowhere/x], continueOnError: true }',
      ]),
    );
    expect(step(r, 'middle').logTail).toContain('file-content');
    expect(step(r, 'last').logTail).toMatch(/file-content\s+deep/);
    expect(step(r, 'make').artifacts.map((a) => a.path)).toEqual(['/out/one.txt', '/out/dir']);
    expect(step(r, 'missing')).toMatchObject({ status: 'failed', error: 'artifact /nowhere/x was not produced' });
  });

  it('mounts host directories read-only unless readOnly: false', async () => {
    const data = join(mountRoot(dirs), 'mnt');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'in.txt'), 'host data');
    const r = await run(
      yaml([
        'steps:',
        '  - { id: ro, mounts: [{ source: ./mnt, target: /data }], command: [sh, -c, "cat /data/in.txt; touch /data/new && echo wrote || echo refused"] }',
        '  - { id: rw, needs: [ro], mounts: [{ source: ./mnt, target: /data, readOnly: false }], command: [sh, -c, "echo from-step > /data/out.txt"] }',
      ]),
      mountRoot(dirs),
    );
    expect(step(r, 'ro').logTail).toMatch(/host data\s*refused/);
    expect(step(r, 'rw').status).toBe('succeeded');
    expect(readFileSync(join(data, 'out.txt'), 'utf8')).toBe('from-step\n');
  });

  it('a failing step cancels the running and pending steps and removes their containers', async () => {
    const r = await run(
      yaml([
        'steps:',
        '  - { id: fails, command: [sh, -c, "sleep 0.5; exit 1"] }',
        '  - { id: slow, command: [sleep, "60"] }',
        '  - { id: after, needs: [slow], command: ["true"] }',
      ]),
    );
    expect(r.status).toBe('failed');
    expect(Object.fromEntries(r.steps.map((s) => [s.id, s.status]))).toEqual({ fails: 'failed', slow: 'cancelled', after: 'cancelled' });
    expect(await containersOf(r.id)).toEqual([]);
  });

  it('a step past its timeout fails as timed out, and its container is removed', async () => {
    const r = await run(yaml(['steps:', '  - { id: slow, command: [sleep, "30"], timeout: 1s }']));
    expect(r.status).toBe('failed');
    expect(step(r, 'slow')).toMatchObject({ status: 'failed', error: 'timed out after 1000 ms' });
    expect(await containersOf(r.id)).toEqual([]);
  });

  it('cancel mid-run stops the running steps and leaves no container', async () => {
    const start = await b.workflows.start({
      source: yaml(['steps:', '  - { id: one, command: [sleep, "60"] }', '  - { id: two, command: [sleep, "60"] }', '  - { id: three, needs: [one, two], command: ["true"] }']),
      labels,
    });
    started.push(start.id);
    let running = false;
    const watching = b.workflows.watch(start.id, (u) => {
      if (!running && u.steps.filter((s) => s.status === 'running').length === 2) running = true;
    });
    for (let i = 0; i < 600 && (await containersOf(start.id)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await containersOf(start.id)).length).toBe(2);
    const labelled = await b.berth.engineClient.listContainers([`${TEST_LABEL}=${runId()}`, `${WORKFLOW_LABELS.run}=${start.id}`], true);
    expect(labelled.length).toBe(2);
    const done = await b.workflows.cancel(start.id);
    expect(done.status).toBe('cancelled');
    expect(Object.fromEntries(done.steps.map((s) => [s.id, s.status]))).toEqual({ one: 'cancelled', two: 'cancelled', three: 'cancelled' });
    expect(await containersOf(start.id)).toEqual([]);
    expect((await watching).status).toBe('cancelled');
    expect(running).toBe(true);
  });

  it('refuses a bad workflow before anything starts, with every problem and its line', async () => {
    const source = yaml([
      'steps:', //                                           line 3
      '  - id: a', //                                        line 4
      '    command: [echo]', //                              line 5
      '    needs: [b, ghost]', //                            line 6
      '  - id: b', //                                        line 7
      '    command: "echo not argv"', //                     line 8
      '    needs: [a]', //                                   line 9
    ]);
    const before = (await b.workflows.list({ limit: 10_000 })).length;
    const err = (await b.workflows.start({ source, labels }).catch((e: unknown) => e)) as BerthError;
    expect(err.code).toBe('InvalidArgument');
    expect((err.details.problems as unknown as Array<{ line: number; path: string }>).map((p) => `${p.line} ${p.path}`)).toEqual(['6 steps[0].needs', '6 steps[0].needs[1]', '8 steps[1].command']);
    const fixed = source.replace('"echo not argv"', '[echo]');
    const err2 = (await b.workflows.start({ source: fixed, labels }).catch((e: unknown) => e)) as BerthError;
    const problems = err2.details.problems as unknown as Array<{ line: number; message: string }>;
    expect(problems.map((p) => p.line)).toEqual([6, 6]);
    expect(problems.map((p) => p.message).sort()).toEqual(['cycle: a → b → a', 'unknown step "ghost"; known: a, b']);
    expect((await b.workflows.list({ limit: 10_000 })).length).toBe(before);
  });

  it('runs the ops example: check and backup in parallel, repair only when the check failed, then the report', async () => {
    const base = join(mountRoot(dirs), 'ops');
    cpSync(EXAMPLES, base, { recursive: true });
    const source = readFileSync(join(base, 'ops-workflow.yaml'), 'utf8').replaceAll('berth-fixture:busybox', FIXTURE_IMAGE);
    const healthy = await run(source, base);
    expect(Object.fromEntries(healthy.steps.map((s) => [s.id, s.status]))).toEqual({ check: 'succeeded', backup: 'succeeded', repair: 'skipped', report: 'succeeded' });
    expect(step(healthy, 'report').logTail).toMatch(/check: healthy[\s\S]*backup: 2 files[\s\S]*repair: not needed/);
    writeFileSync(join(base, 'data', 'health'), 'status=down\n');
    const sick = await run(source, base);
    expect(Object.fromEntries(sick.steps.map((s) => [s.id, s.status]))).toEqual({ check: 'failed', backup: 'succeeded', repair: 'succeeded', report: 'succeeded' });
    expect(step(sick, 'report').logTail).toMatch(/UNHEALTHY \(status=down\)[\s\S]*repair: service restarted/);
    expect(sick.status).toBe('succeeded');
  });
});

describe(`berth workflow CLI (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('wf-cli');
  let daemon: DaemonProcess | undefined;
  const started: string[] = [];
  const cli = (args: string[]) => runCli(dirs.socket, args);
  const file = (name: string, lines: string[]) => {
    const p = join(dirs.dir, name);
    writeFileSync(p, [`name: ${name}`, `image: ${FIXTURE_IMAGE}`, ...lines].join('\n'));
    return p;
  };

  beforeAll(async () => {
    mkdirSync(dirs.dataDir, { recursive: true });
    writeFileSync(join(dirs.dataDir, 'config.json'), JSON.stringify({ mounts: { untrustedRoots: [mountRoot(dirs)] } }));
    daemon = await patiently(() => spawnDaemon(dirs));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((id) => daemon?.client.workflows.cancel(id).catch(() => undefined)));
  });
  afterAll(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    dirs.rm();
    rmSync(mountRoot(dirs), { recursive: true, force: true });
  });

  it('runs the ops example with progress lines, writes both reports, lists and shows the run', async () => {
    const base = join(mountRoot(dirs), 'ops');
    cpSync(EXAMPLES, base, { recursive: true });
    const yamlPath = join(base, 'ops-workflow.yaml');
    writeFileSync(yamlPath, readFileSync(yamlPath, 'utf8').replaceAll('berth-fixture:busybox', FIXTURE_IMAGE));
    writeFileSync(join(base, 'data', 'health'), 'status=down\n');
    const md = join(dirs.dir, 'r.md');
    const json = join(dirs.dir, 'r.json');
    const r = await cli(['workflow', 'run', yamlPath, '--label', `${TEST_LABEL}=${runId()}`, '--report-md', md, '--report-json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/check failed \(exit 1/);
    expect(r.stdout).toMatch(/repair succeeded/);
    const id = /^run (wf-\w+)/.exec(r.stdout)?.[1] ?? '';
    started.push(id);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { status: string; steps: Array<{ id: string; status: string; needs: string[] }> };
    expect(report.status).toBe('succeeded');
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['check:failed', 'backup:succeeded', 'repair:succeeded', 'report:succeeded']);
    expect(readFileSync(md, 'utf8')).toMatch(/# Workflow ops: succeeded[\s\S]*\| repair \| succeeded \| 0 \|[\s\S]*## report \(succeeded\)/);
    const ls = await cli(['workflow', 'ls']);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+ops\\s+succeeded\\s+3/4 ok`));
    const show = await cli(['workflow', 'show', id]);
    expect(show.stdout).toMatch(/--- report \(succeeded\)\ncheck: UNHEALTHY/);
    expect((await cli(['workflow', 'show', id, '--md'])).stdout).toBe(readFileSync(md, 'utf8'));
  });

  it('exits 1 when the run failed, 125 with every problem and its line for a bad file', async () => {
    const failing = await cli(['workflow', 'run', file('fails.yaml', ['steps:', '  - { id: x, command: [sh, -c, "exit 4"] }']), '--label', `${TEST_LABEL}=${runId()}`]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/x failed \(exit 4/);
    const bad = file('bad.yaml', ['steps:', '  - id: x', '    command: [echo]', '    if: "sucess()"', '    limits: { memory: lots }', '    bogus: 1']);
    const r = await cli(['workflow', 'run', bad]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(
      /bad\.yaml:6:\d+ steps\[0\]\.if: bad condition "sucess\(\)" at character 1: unknown function sucess\(\)[\s\S]*bad\.yaml:7:\d+ steps\[0\]\.limits\.memory: is not a size[\s\S]*bad\.yaml:8:\d+ steps\[0\]\.bogus: unknown field "bogus"/,
    );
  });

  it('ctrl-c cancels the run, removes its containers and exits 130', async () => {
    const path = file('slow.yaml', ['steps:', '  - { id: a, command: [sleep, "60"] }', '  - { id: b, needs: [a], command: ["true"] }']);
    const child = spawn(process.execPath, [BIN, '--socket', dirs.socket, 'workflow', 'run', path, '--label', `${TEST_LABEL}=${runId()}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (let i = 0; i < 600 && !/a running/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    const id = /^run (wf-\w+)/.exec(stdout)?.[1] ?? '';
    started.push(id);
    expect(stdout).toMatch(/a running/);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/a cancelled[\s\S]*b cancelled/);
    const run = await daemon!.client.workflows.get(id);
    expect(run.status).toBe('cancelled');
    const berth = await patiently(() => Berth.connect({ engine: engineUnderTest() }));
    try {
      expect(await berth.engineClient.listContainers([`${WORKFLOW_LABELS.run}=${id}`], true)).toEqual([]);
    } finally {
      await berth.close();
    }
  });
});
