import { expect } from 'vitest';
import type { CliDaemon } from './cli.js';

/**
 * Scripting habits every backend shares: rm of several, rm -f, ps -q, --filter, --format,
 * ps -a newest first, prune with --until, durations with units. `image` is what `run` takes
 * after its options (the fixture on an engine, nothing on the local backend).
 */
export async function checkScriptingHabits(t: CliDaemon, image: string[]): Promise<void> {
  const run = async (...args: string[]) => {
    const r = await t.cli(['run', ...args, ...image]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const a = await run('--name', 'sa', '-l', 'grp=x', '--ttl', '5m', '--idle-timeout', '1h30m');
  const b = await run('--name', 'sb', '-l', 'grp=x');
  const c = await run('--name', 'sc', '-l', 'grp=y');
  expect(JSON.parse((await t.cli(['inspect', 'sa'])).stdout)).toMatchObject({ ttlMs: 300_000, idleTimeoutMs: 5_400_000 });
  expect(JSON.parse((await t.cli(['inspect', 'sb'])).stdout).ttlMs).toBeUndefined();
  expect((await t.cli(['run', '--ttl', '5 minutes', ...image])).code).toBe(125);

  const ids = async (...args: string[]) => (await t.cli(['ps', '-q', ...args])).stdout.split('\n').filter(Boolean);
  expect(await ids('--filter', 'label=grp=x')).toEqual([b, a]);
  expect(await ids('--filter', 'label=grp')).toEqual([c, b, a]);
  expect(await ids('--filter', 'name=sc')).toEqual([c]);
  expect(await ids('--filter', 'label=grp', '--filter', 'state=running')).toEqual([c, b, a]);
  expect(await ids('--filter', 'label=grp', '--filter', 'backend=nonesuch')).toEqual([]);
  const badFilter = await t.cli(['ps', '--filter', 'colour=red']);
  expect(badFilter.code).toBe(125);
  expect(badFilter.stderr).toContain('unknown key colour');

  expect((await t.cli(['ps', '--filter', 'label=grp', '--format', '{{.Name}}\\t{{.State}} {{.Labels.grp}}'])).stdout).toBe('sc\trunning y\nsb\trunning x\nsa\trunning x\n');
  expect((await t.cli(['ps', '--filter', 'label=grp=y', '--format', 'name,state'])).stdout).toMatch(/^NAME\s+STATE\nsc\s+running\n$/);
  expect((await t.cli(['ps', '--filter', 'label=grp=y', '--format', 'table {{.ID}}\\t{{.Name}}'])).stdout).toMatch(new RegExp(`^ID\\s+NAME\\n${c}\\s+sc\\n$`));
  expect(JSON.parse((await t.cli(['ps', '--filter', 'label=grp=y', '--format', 'json'])).stdout)).toMatchObject({ ID: c, Name: 'sc', Labels: { grp: 'y' } });
  expect((await t.cli(['ps', '--format', '{{.Nope}}'])).code).toBe(125);

  // rm of several, one missing: the others go, the status says one failed.
  const rm = await t.cli(['rm', 'sa', 'no-such-session', 'sb']);
  expect(rm.code).toBe(125);
  expect(rm.stdout).toBe(`${a}\n${b}\n`);
  expect(rm.stderr).toContain('no-such-session');
  expect(await t.cli(['rm', '-f', 'sc'])).toMatchObject({ code: 0, stdout: `${c}\n` });
  expect(await ids('--filter', 'label=grp')).toEqual([]);
  expect(await ids('-a', '--filter', 'label=grp')).toEqual([c, b, a]);
  expect(await ids('--filter', 'label=grp', '--filter', 'state=ended')).toEqual([c, b, a]);

  // prune --until keeps what ended since; plain prune deletes every ended record.
  const kept = await t.cli(['prune', '--until', '1h']);
  expect(kept.code, kept.stderr).toBe(0);
  expect(kept.stdout).not.toContain(a);
  const pruned = await t.cli(['prune']);
  expect(pruned.code, pruned.stderr).toBe(0);
  expect(pruned.stdout.split('\n')).toEqual(expect.arrayContaining([a, b, c]));
  expect(await ids('-a', '--filter', 'label=grp')).toEqual([]);
  expect((await t.cli(['inspect', a])).code).toBe(125);
  expect((await t.cli(['prune', '--until', 'yesterday-ish'])).code).toBe(125);
}
