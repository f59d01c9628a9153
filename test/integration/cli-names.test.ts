import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliDaemon, readmeBlock, type CliDaemon } from '../support/cli.js';
import { engineUnderTest } from '../support/engine.js';

const README = new URL('../../README.md', import.meta.url).pathname;

describe(`CLI: names and the README quickstart (${engineUnderTest()})`, () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-names');
  });
  afterAll(async () => {
    await t?.close();
  });

  it("runs the README's quickstart twice in a row: rm frees the name, the old records stay, found by id", async () => {
    const script = readmeBlock(readFileSync(README, 'utf8'), '## The daemon and the CLI');
    const ids: string[] = [];
    for (const round of [1, 2]) {
      const r = await t.sh(`set -u\n${script}`);
      expect(r.stderr, `round ${round}`).not.toMatch(/error/i);
      expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('ok');
      const id = lines.find((l) => /^s-[0-9a-f]{12}$/.test(l));
      expect(id, r.stdout).toBeDefined();
      ids.push(id!);
      expect(lines).toContain('1');
      expect(lines).toContain('5');
    }
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) expect(JSON.parse((await t.cli(['inspect', id])).stdout)).toMatchObject({ id, name: 'dev', state: 'ended' });
    // Both records stay; the name finds the newest.
    expect((await t.cli(['ps', '-a', '-q', '--filter', 'name=dev'])).stdout.split('\n').filter(Boolean)).toEqual([ids[1], ids[0]]);
    expect(JSON.parse((await t.cli(['inspect', 'dev'])).stdout)).toMatchObject({ id: ids[1] });
  }, 300_000);

  it('a live name is still taken (Conflict, exit 125), and a failed create frees it', async () => {
    const first = await t.cli(['run', '--name', 'taken', 'berth-fixture:busybox']);
    expect(first.code, first.stderr).toBe(0);
    const again = await t.cli(['run', '--name', 'taken', 'berth-fixture:busybox']);
    expect(again.code).toBe(125);
    expect(again.stderr).toContain('[Conflict]');
    const typo = await t.cli(['run', '--name', 'typo', 'no-such-image:1']);
    expect(typo.code).toBe(125);
    const fixed = await t.cli(['run', '--name', 'typo', 'berth-fixture:busybox']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await t.cli(['rm', 'taken', 'typo'])).code).toBe(0);
  });
});
