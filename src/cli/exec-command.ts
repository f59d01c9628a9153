import { COMMAND_EXIT } from '../common/errors.js';
import type { BerthClient } from '../client/client.js';
import type { SessionExecStreamOptions } from '../session/sessions-api.js';

/**
 * `berth exec`: runs the command through the daemon, streams its output to this
 * process's stdout/stderr and sets the exit code to the command's (1 when it was killed).
 * This process ending (ctrl-C) hangs up, and the daemon kills the command; with
 * `detach` the command is started, left running, and this returns at once.
 */
export async function runExecCommand(client: BerthClient, session: string, options: SessionExecStreamOptions): Promise<void> {
  const s = await client.sessions.execStream(session, options);
  if (options.detach) {
    s.exit.catch(() => undefined);
    await s.kill();
    return;
  }
  s.stdout.pipe(process.stdout);
  s.stderr.pipe(process.stderr);
  const exit = await s.exit;
  if (exit.timedOut) process.stderr.write(`berth: the command timed out after ${options.timeoutMs} ms and was killed\n`);
  process.exitCode = exit.timedOut ? COMMAND_EXIT.timedOut : exit.exitCode < 0 ? 1 : exit.exitCode;
}
