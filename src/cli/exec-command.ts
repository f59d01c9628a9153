import type { BerthClient } from '../client/client.js';
import type { SessionExecOptions } from '../session/sessions-api.js';

/**
 * `berth exec`: runs the command through the daemon, streams its output to this
 * process's stdout/stderr and sets the exit code to the command's (1 when it was killed).
 */
export async function runExecCommand(client: BerthClient, session: string, options: SessionExecOptions): Promise<void> {
  const s = await client.sessions.execStream(session, options);
  s.stdout.pipe(process.stdout);
  s.stderr.pipe(process.stderr);
  const exit = await s.exit;
  if (exit.timedOut) process.stderr.write(`berth: the command timed out after ${options.timeoutMs} ms and was killed\n`);
  process.exitCode = exit.exitCode < 0 ? 1 : exit.exitCode;
}
