import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliDaemon, type CliDaemon } from '../support/cli.js';
import { checkExecHabits } from '../support/cli-exec-cases.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { berthTerminal } from '../support/terminal.js';

describe(`CLI: berth exec as docker exec (${engineUnderTest()})`, () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-exec');
    const r = await t.cli(['run', '--name', 'box', FIXTURE_IMAGE]);
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stops reading options at the command; exit statuses 124/125/126/127 as docker; quiet into a closed pipe', async () => {
    await checkExecHabits(t, 'box');
  });

  it('the Debian base gives the same 126/127 as the fixture', async () => {
    expect((await t.cli(['run', '--name', 'deb'])).code).toBe(0);
    expect((await t.cli(['exec', 'deb', 'no-such-command-here'])).code).toBe(127);
    expect((await t.cli(['exec', 'deb', '/etc/passwd'])).code).toBe(126);
    expect((await t.cli(['rm', 'deb'])).code).toBe(0);
  });

  it('exec -it opens a terminal like berth shell, and --detach-keys "" types ctrl-p ctrl-q through', async () => {
    const term = berthTerminal(t.socket, ['exec', '-it', '--detach-keys', '', 'box', 'sh']);
    await term.waitFor(/# /, { timeoutMs: 30_000 });
    term.type('\x10\x11');
    term.type('echo still-$((7*6))\r');
    await term.waitFor(/still-42/);
    term.type('exit 5\r');
    expect(await term.exit).toBe(5);
    const bad = await t.cli(['shell', '--detach-keys', 'bogus', 'box'], 'true\n');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('[InvalidArgument]');
  });
});
