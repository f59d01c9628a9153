import { localTime } from './table.js';
import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { clientFor, type GlobalOptions } from './client-factory.js';

const out = (s: string) => process.stdout.write(s);

/** `SESSION:/path` → { session, path }; a plain host path → undefined. */
export function sessionPath(arg: string): { session: string; path: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.+)$/.exec(arg);
  return m ? { session: m[1] ?? '', path: m[2] ?? '' } : undefined;
}

/** How long a cancelled copy may take to clean up before the CLI exits anyway, in ms. */
const CANCEL_GRACE_MS = 5000;

/**
 * Runs `op` with a signal that ctrl-C (or SIGTERM) aborts; the copy then removes what it
 * had started (no temporary file stays) and the CLI exits 130. A second ctrl-C exits at once.
 * Resolves undefined when cancelled.
 */
async function cancellable<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const ac = new AbortController();
  const onSignal = () => {
    ac.abort();
    setTimeout(() => process.exit(130), CANCEL_GRACE_MS).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await op(ac.signal);
  } catch (err) {
    if (!ac.signal.aborted) throw err;
    process.stderr.write('berth: cp cancelled; nothing was left behind\n');
    process.exitCode = 130;
    return undefined;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** cp, files ls, fork. */
export function registerFileCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('cp')
    .description("copy between a session and the host by docker cp's rules: SESSION:/path HOSTPATH or HOSTPATH SESSION:/path (a trailing / names a directory that must exist; SRC/. copies a directory's contents)")
    .argument('<src>')
    .argument('<dst>')
    .action(async (src: string, dst: string) => {
      const from = sessionPath(src);
      const to = sessionPath(dst);
      if (!!from === !!to) {
        throw new BerthError('InvalidArgument', 'cp: exactly one of SRC and DST must be SESSION:/path (the other a host path)', {
          details: { problems: [{ path: 'src', message: 'one side must be SESSION:/path' }] },
        });
      }
      const c = await clientFor(g());
      if (!from) {
        const r = await c.files.copyIn(to!.session, src, to!.path);
        return void process.stderr.write(`copied ${r.bytes} bytes\n`);
      }
      const r = await cancellable((signal) => c.files.copyOut(from.session, from.path, dst, { signal }));
      if (r) process.stderr.write(`copied ${r.bytes} bytes\n`);
    });

  const files = program.command('files').description("a session's files");
  files
    .command('ls')
    .description('list a directory')
    .argument('<session>')
    .argument('[path]', 'directory (relative to the base dir)', '.')
    .option('-r, --recursive', 'everything below')
    .option('--json', 'print JSON')
    .action(async (session: string, path: string, o: { recursive?: boolean; json?: boolean }) => {
      const c = await clientFor(g());
      const list = await c.files.listDirectory(session, path, { recursive: o.recursive ?? false });
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      for (const e of list) {
        const kind = e.type === 'directory' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'file' ? '-' : '?';
        out(`${kind}${e.mode.toString(8).padStart(4, '0')} ${String(e.size).padStart(10)} ${localTime(e.mtime)} ${JSON.stringify(e.path).slice(1, -1)}\n`);
      }
    });

  program
    .command('fork')
    .description("a new session from a snapshot of this one's filesystem; prints its id")
    .argument('<session>')
    .option('--name <name>', 'name of the new session')
    .action(async (session: string, o: { name?: string }) => {
      const c = await clientFor(g());
      out(`${(await c.sessions.fork(session, o.name ? { name: o.name } : {})).id}\n`);
    });
}
