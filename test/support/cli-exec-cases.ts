import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import type { CliDaemon } from './cli.js';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** `berth exec …` piped into `head -1` by a shell; resolves with what the pipeline printed and the CLI's status. */
export function execIntoHead(t: CliDaemon, args: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', ['-c', `"${process.execPath}" "${BIN}" --socket "${t.socket}" "$@" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', () => resolve({ stdout, stderr, status: Number(/status=(\d+)/.exec(stderr)?.[1] ?? -1) }));
  });
}

/**
 * The exec habits every backend shares: options end at the command (`--` still taken),
 * exit statuses as docker's (125 berth, 126 cannot run, 127 not found, 124 timed out),
 * and output into a closed pipe ends quietly. `session` is a running session.
 */
export async function checkExecHabits(t: CliDaemon, session: string): Promise<void> {
  const ls = await t.cli(['exec', session, 'ls', '-la', '/']);
  expect(ls.code, ls.stderr).toBe(0);
  expect(ls.stdout).toMatch(/^total /);
  expect(await t.cli(['exec', session, 'sh', '-c', 'echo $0 $1', 'a', 'b'])).toMatchObject({ code: 0, stdout: 'a b\n' });
  expect(await t.cli(['exec', session, '--', 'sh', '-c', 'exit 3'])).toMatchObject({ code: 3 });
  expect(await t.cli(['exec', '-e', 'X=1', '-w', '/', session, 'sh', '-c', 'echo $X $(pwd)'])).toMatchObject({ code: 0, stdout: '1 /\n' });
  // Through the full CLI too (an option before the session skips the fast path).
  expect(await t.cli(['exec', '-e', 'Y=2', session, 'ls', '-d', '/'])).toMatchObject({ code: 0, stdout: '/\n' });

  const missing = await t.cli(['exec', session, 'no-such-command-here']);
  expect(missing.code, missing.stderr).toBe(127);
  const notExecutable = await t.cli(['exec', session, '/etc/passwd']);
  expect(notExecutable.code, notExecutable.stderr).toBe(126);
  const timedOut = await t.cli(['exec', '--timeout', '1s', session, 'sleep', '30']);
  expect(timedOut.code).toBe(124);
  expect(timedOut.stderr).toContain('timed out after 1000 ms');
  const noSession = await t.cli(['exec', 'no-such-session', 'true']);
  expect(noSession.code).toBe(125);
  expect(noSession.stderr).toContain('[NotFound]');
  const badDuration = await t.cli(['exec', '--timeout', 'soon', session, 'true']);
  expect(badDuration.code).toBe(125);
  expect(badDuration.stderr).toContain('is not a duration');

  for (const args of [
    ['exec', session, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done'],
    ['exec', '-e', 'A=1', session, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done'],
  ]) {
    const piped = await execIntoHead(t, args);
    expect(piped.stdout).toBe('line-0\n');
    expect(piped.stderr).not.toMatch(/EPIPE|Error:|at /);
    expect(piped.status).toBe(0);
  }
}
