import { afterAll, beforeAll, describe, it } from 'vitest';
import { cliDaemon, type CliDaemon } from '../support/cli.js';
import { checkScriptingHabits } from '../support/cli-scripting-cases.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';

describe(`CLI: scripting as with docker (${engineUnderTest()})`, () => {
  let t: CliDaemon;
  beforeAll(async () => {
    t = await cliDaemon('cli-script');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('rm A B C, rm -f, ps -q/--filter/--format newest first, prune --until, durations with units', async () => {
    await checkScriptingHabits(t, [FIXTURE_IMAGE]);
  }, 300_000);
});
