import { BerthClient } from '../client/client.js';
import { runExecCommand } from './exec-command.js';
import { fail } from './fail.js';

/**
 * `berth [--socket PATH] exec SESSION -- CMD...` with no other options: the commonest
 * call of a short-lived CLI, answered from a small bundle (dist/cli/berth-exec.cjs)
 * without commander or the rest of the CLI. Returns false for any other argv, which
 * then goes to the full CLI (`main`), so both give the same results.
 */
export function simpleExecArgs(argv: readonly string[]): { socket?: string; session: string; cmd: string[] } | undefined {
  let i = 2;
  let socket: string | undefined;
  if (argv[i] === '--socket' && argv[i + 1]) {
    socket = argv[i + 1];
    i += 2;
  }
  const session = argv[i + 1];
  if (argv[i] !== 'exec' || !session || session.startsWith('-') || argv[i + 2] !== '--' || argv.length <= i + 3) return undefined;
  return { ...(socket ? { socket } : {}), session, cmd: argv.slice(i + 3) };
}

/** Runs the simple exec and exits, or returns false when `argv` is not that form. */
export async function fastExec(argv: readonly string[]): Promise<boolean> {
  const args = simpleExecArgs(argv);
  if (!args) return false;
  try {
    const client = await BerthClient.connect(args.socket ? { socketPath: args.socket } : {});
    await runExecCommand(client, args.session, { cmd: args.cmd });
    process.exit();
  } catch (err) {
    fail(err);
  }
}
