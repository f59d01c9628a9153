import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliDaemon, readmeBlock, type CliDaemon } from '../support/cli.js';
import { checkExecHabits } from '../support/cli-exec-cases.js';
import { checkScriptingHabits } from '../support/cli-scripting-cases.js';

const README = new URL('../../README.md', import.meta.url).pathname;

describe('CLI habits on the local backend (no engine)', () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-local', 'local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('run says once, on stderr, that the session runs on the host with no isolation', async () => {
    const r = await t.cli(['run', '--name', 'loc']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^s-[0-9a-f]{12}\n$/);
    expect(r.stderr.match(/runs on the local backend: its commands run on this host .* with no isolation/g)).toHaveLength(1);
    const ex = await t.cli(['exec', 'loc', 'true']);
    expect(ex).toMatchObject({ code: 0, stderr: '' });
    const rm = await t.cli(['run', '--rm']);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toContain('removeOnExit');
    expect((await t.cli(['rm', 'loc'])).code).toBe(0);
  });

  it('exec: options end at the command; 124/125/126/127 as on the engines; quiet into a closed pipe', async () => {
    expect((await t.cli(['run', '--name', 'lx'])).code).toBe(0);
    await checkExecHabits(t, 'lx');
    expect((await t.cli(['rm', 'lx'])).code).toBe(0);
  }, 180_000);

  it('rm A B C, rm -f, ps -q/--filter/--format newest first, prune --until, durations with units', async () => {
    await checkScriptingHabits(t, []);
  }, 240_000);

  it("runs the README's quickstart twice in a row", async () => {
    const script = readmeBlock(readFileSync(README, 'utf8'), '## The daemon and the CLI').replace(/^berth (stop|start) dev;.*$/m, '');
    for (const round of [1, 2]) {
      const r = await t.sh(`set -u\n${script}`);
      expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
      expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['ok', '1', '5']));
    }
    expect((await t.cli(['ps', '-a', '-q', '--filter', 'name=dev'])).stdout.split('\n').filter(Boolean)).toHaveLength(2);
  }, 180_000);
});
