import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { cpRuleTests } from '../support/cp-rules.js';
import { daemonDirs, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { runId, TEST_LABEL } from '../support/names.js';

/** An engine socket nothing listens on: berth finds no engine here. */
const NO_ENGINE = '/nonexistent/berth-test-no-engine.sock';

describe("berth cp follows docker cp's rules on the local backend", () => {
  const dirs = daemonDirs('cp-rules-local');
  let d: DaemonProcess | undefined;
  let session = '';

  beforeAll(async () => {
    d = await spawnDaemon(dirs, {}, ['--engine-socket', NO_ENGINE, '--fallback', 'local']);
    session = (await d.client.sessions.create({ backend: 'local', labels: { [TEST_LABEL]: runId() } })).id;
    mkdirSync(join(dirs.dir, 'host'));
  });
  afterAll(async () => {
    if (session) await d?.client.sessions.remove(session).catch(() => undefined);
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  cpRuleTests(() => ({ socket: dirs.socket, client: d!.client, session, hostDir: join(dirs.dir, 'host') }));
});
