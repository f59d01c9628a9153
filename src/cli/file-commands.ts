import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { clientFor, type GlobalOptions } from './client-factory.js';

const out = (s: string) => process.stdout.write(s);

/** `SESSION:/path` → { session, path }; a plain host path → undefined. */
export function sessionPath(arg: string): { session: string; path: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.+)$/.exec(arg);
  return m ? { session: m[1] ?? '', path: m[2] ?? '' } : undefined;
}

/** cp, files ls, fork. */
export function registerFileCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('cp')
    .description('copy between a session and the host, like docker cp: SESSION:/path HOSTPATH or HOSTPATH SESSION:/path')
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
      const r = from ? await c.files.copyOut(from.session, from.path, dst) : await c.files.copyIn(to!.session, src, to!.path);
      process.stderr.write(`copied ${r.bytes} bytes (archive)\n`);
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
        out(`${kind}${e.mode.toString(8).padStart(4, '0')} ${String(e.size).padStart(10)} ${e.mtime} ${JSON.stringify(e.path).slice(1, -1)}\n`);
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
