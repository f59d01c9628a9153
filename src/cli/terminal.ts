import { constants } from 'node:os';
import type { ShellStream } from '../interactive/shell-stream.js';

/**
 * Connects this process's terminal to a shell: raw mode (always restored: on exit, on
 * error, on SIGTERM/SIGHUP), keystrokes in, output out, window size changes forwarded.
 * Sets the exit code to the shell's; a detach exits 0 with a note on stderr.
 */
export async function runTerminal(shell: ShellStream): Promise<void> {
  const { stdin, stdout, stderr } = process;
  const raw = stdin.isTTY;
  const restore = () => {
    if (raw && stdin.isRaw) stdin.setRawMode(false);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  process.once('exit', restore);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const onResize = () => void shell.resize(stdout.columns, stdout.rows).catch(() => undefined);
  try {
    if (raw) stdin.setRawMode(true);
    if (stdout.isTTY) stdout.on('resize', onResize);
    stdin.pipe(shell);
    shell.pipe(stdout, { end: false });
    const e = await shell.exit;
    await new Promise<void>((resolve) => (shell.readableEnded ? resolve() : shell.once('end', resolve)));
    if (e.detached) {
      restore();
      stderr.write('\r\nberth: detached; the process runs on\n');
      process.exitCode = 0;
    } else {
      process.exitCode = e.exitCode === null || e.exitCode < 0 ? 1 : e.exitCode;
    }
  } finally {
    stdout.off('resize', onResize);
    stdin.unpipe(shell);
    stdin.pause();
    restore();
  }
}
