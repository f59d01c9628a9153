import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon.js';
import { BerthError } from '../../src/index.js';
import type { BuildEvent } from '../../src/image/build-progress.js';
import { daemonDirs, runCli } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

const MULTISTAGE = new URL('../fixtures/multistage/', import.meta.url).pathname;

describe(`images through the daemon: HTTP and CLI (${engineUnderTest()})`, () => {
  const dirs = daemonDirs('images');
  const labels = { [TEST_LABEL]: runId() };
  const tags: string[] = [];
  let daemon: RunningDaemon;
  let client: BerthClient;
  const tag = (hint: string) => {
    const name = `${uniqueName(hint).toLowerCase()}:test`;
    tags.push(name);
    return name;
  };

  beforeAll(async () => {
    const config = loadConfig({ engine: engineUnderTest(), dataDir: dirs.dataDir, socket: dirs.socket, logLevel: 'silent' }, {});
    daemon = await startDaemon(config, silentLogger());
    client = BerthClient.connect({ socketPath: dirs.socket });
  });
  afterEach(async () => {
    for (const name of tags.splice(0)) await daemon.berth.engineClient.removeImage(name, { force: true }).catch(() => undefined);
    await daemon.berth.images.prune({ labels, all: true });
  });
  afterAll(async () => {
    await daemon?.close();
    dirs.rm();
  });

  it('builds with progress events over NDJSON, lists and removes', async () => {
    const events: BuildEvent[] = [];
    const name = tag('http');
    const r = await client.images.build(
      { context: MULTISTAGE, tag: name, target: 'build', baseImage: FIXTURE_IMAGE, buildArgs: { GREETING: 'hi', RUN_LABEL: runId() }, labels },
      { onEvent: (e) => events.push(e) },
    );
    expect(r.image).toBe(name);
    expect(events.filter((e) => e.type === 'step').length).toBeGreaterThanOrEqual(2);
    expect((await client.images.list()).find((i) => i.tags.includes(name))).toMatchObject({ id: r.imageId, variant: 'custom', labels });
    expect(await client.images.remove(name)).toEqual({ removed: true });
    await expect(client.images.remove(name)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(client.images.remove(FIXTURE_IMAGE)).rejects.toMatchObject({ code: 'PolicyDenied' });
  });

  it('a failed build arrives as the same BerthError, with the step and the last lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-image-http-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\nRUN echo doomed-step && false\n`);
      const err = await client.images.build({ context: dir, tag: tag('fail'), labels }).catch((e: unknown) => e);
      expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
      const d = (err as BerthError).details as { step: { index: number; instruction: string }; lastLines: string[] };
      expect(d.step.index).toBe(2);
      expect(d.step.instruction).toContain('doomed-step');
      expect(d.lastLines.join('\n')).toContain('doomed-step');
      await expect(client.images.build({ context: 'not/absolute', tag: 'x:y' })).rejects.toMatchObject({ code: 'InvalidArgument' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a client that hangs up cancels the build: the engine CLI stops and nothing is tagged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-image-cancel-'));
    const name = tag('cancel');
    // A base of its own: Podman names the build's working container after it.
    const base = tag('cancel-base');
    const cli = engineUnderTest();
    execFileSync(cli, ['tag', FIXTURE_IMAGE, base]);
    const marker = `started-${runId()}-${Date.now()}`;
    /** Processes on this host whose command line names the build's tag or its RUN step's marker. */
    const builders = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
            return cmd.includes(name) || cmd.includes(marker);
          } catch {
            return false;
          }
        });
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo ${marker} && while true; do sleep 1; done\n`);
      const cancel = new AbortController();
      const built = client.images.build({ context: dir, tag: name, labels }, { signal: cancel.signal, onEvent: (e) => e.type === 'output' && e.line.includes(marker) && cancel.abort() });
      const err = await built.catch((e: unknown) => e);
      expect(cancel.signal.aborted).toBe(true);
      expect(BerthError.is(err, 'Timeout')).toBe(true);
      // The daemon saw the hang-up and stopped the engine's CLI.
      let left = builders();
      for (let i = 0; i < 100 && left.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = builders();
      }
      expect(left).toEqual([]);
      expect((await client.images.list()).some((i) => i.tags.includes(name))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // Podman 4.3 keeps a cancelled build's working container in its storage.
      if (cli === 'podman') {
        const working = execFileSync('podman', ['ps', '-a', '--external', '--format', '{{.ID}} {{.Names}}'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.includes(`${base.split(':')[0]}-working-container`))
          .map((l) => l.split(' ')[0]!);
        if (working.length) execFileSync('podman', ['rm', '-f', '--storage', ...working]);
      }
    }
  });

  it('berth image build shows steps (plain lines off a TTY), ls and rm work from the CLI', async () => {
    const name = tag('cli');
    const b = await runCli(dirs.socket, ['image', 'build', '--context', MULTISTAGE, '-t', name, '--target', 'final', '--build-arg', `BASE_IMAGE=${FIXTURE_IMAGE}`, '--build-arg', `RUN_LABEL=${runId()}`, '--label', `${TEST_LABEL}=${runId()}`]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(new RegExp(`^${name} [0-9a-f]{12} \\(`));
    expect(b.stderr).toMatch(/^\[(\S+ )?\d+\/\d+\] RUN echo final/m);
    const ls = await runCli(dirs.socket, ['image', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ tags: string[] }>).some((i) => i.tags.includes(name))).toBe(true);
    const rm = await runCli(dirs.socket, ['image', 'rm', name]);
    expect(rm).toMatchObject({ code: 0, stdout: `${name}\n` });
    const rmAgain = await runCli(dirs.socket, ['image', 'rm', name]);
    expect(rmAgain.code).toBe(125);
    expect(rmAgain.stderr).toContain('[NotFound]');
  });
});
