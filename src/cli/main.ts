import { Command, CommanderError } from 'commander';
import { BerthError, EXIT_STATUS } from '../common/errors.js';
import { VERSION } from '../common/version.js';

/** Prints a BerthError as `error [Code]: message` and exits with the code's status. */
function fail(err: unknown): never {
  const e = BerthError.from(err);
  process.stderr.write(`berth: error [${e.code}]: ${e.message}\n`);
  process.exit(EXIT_STATUS[e.code]);
}

const program = new Command()
  .name('berth')
  .description('Sandboxed containers on Docker or Podman')
  .version(VERSION)
  .exitOverride();

program
  .command('info')
  .description('detect the container engine and print what was found')
  .option('--engine <kind>', 'auto, docker or podman', process.env.BERTH_ENGINE ?? 'auto')
  .option('--json', 'print JSON')
  .action(async (opts: { engine: string; json?: boolean }) => {
    const { Berth } = await import('../berth.js');
    const berth = await Berth.connect({ engine: opts.engine as 'auto' });
    const e = berth.engine;
    if (opts.json) process.stdout.write(`${JSON.stringify({ engine: e }, null, 2)}\n`);
    else process.stdout.write(`engine: ${e.kind} ${e.version} (API ${e.apiVersion}, cgroup v${e.cgroupVersion}, ${e.os}/${e.arch})\nsocket: ${e.socketPath} (found via ${e.source})\n`);
    await berth.close();
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT_STATUS.InvalidArgument);
  }
  fail(err);
}
