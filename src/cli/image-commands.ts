import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { BuildEvent } from '../image/build-progress.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { collect, keyValues } from './parse.js';
import { localTime, table } from './table.js';

const out = (s: string) => process.stdout.write(s);

function size(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}GB` : `${(n / 1e6).toFixed(1)}MB`;
}

/**
 * Build progress for a person: on a TTY one line rewritten in place (the current step and
 * its latest output); otherwise each step on its own line. Output lines are kept for errors.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { onEvent: (e: BuildEvent) => void; done: () => void } {
  const tty = stream.isTTY === true;
  let step = '';
  const cols = () => Math.max(20, (stream.columns ?? 80) - 1);
  return {
    onEvent: (e) => {
      if (e.type === 'step') {
        step = `[${e.step.stage ? `${e.step.stage} ` : ''}${e.step.index}/${e.step.total}] ${e.step.instruction.replace(/\s+/g, ' ')}`;
        if (tty) stream.write(`\r\x1b[K${step.slice(0, cols())}`);
        else stream.write(`${step}\n`);
      } else if (tty && step) {
        stream.write(`\r\x1b[K${`${step.slice(0, 40)} · ${e.line}`.slice(0, cols())}`);
      }
    },
    done: () => {
      if (tty && step) stream.write('\r\x1b[K');
    },
  };
}

/** berth image build / ls / rm / prune. */
export function registerImageCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const image = program.command('image').description("berth's base images (built through the engine's CLI)");

  image
    .command('build')
    .description('build a base image variant (or, with --context, a custom Dockerfile), showing progress')
    .argument('[context]', 'a custom build\'s context directory, as docker build\'s (same as --context)')
    .option('--variant <variant>', 'ubuntu (full) or alpine (light); default ubuntu')
    .option('--base <image>', 'the BASE_IMAGE to build on, e.g. berth-base:debian-bookworm')
    .option('--context <dir>', 'a custom build: its context directory (relative to here, or absolute)')
    .option('-f, --file <path>', 'the Dockerfile (relative to here, or absolute); default <context>/Dockerfile or the variant\'s')
    .option('-t, --tag <name:tag>', 'the tag; default berth-image:<variant>, required with --context')
    .option('--target <stage>', 'the stage of a multi-stage Dockerfile to build')
    .option('--build-arg <K=V>', 'build argument (repeatable)', collect)
    .option('--label <K=V>', 'label (repeatable)', collect)
    .option('--no-cache', "ignore the engine's layer cache")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ berth image build --variant ubuntu --base berth-base:debian-bookworm\n  $ berth image build . -t tools:1')
    .action(async (contextArg: string | undefined, o: { variant?: string; base?: string; context?: string; file?: string; tag?: string; target?: string; buildArg?: string[]; label?: string[]; cache: boolean; json?: boolean }) => {
      if (contextArg !== undefined) o.context ??= contextArg;
      const buildArgs = keyValues(o.buildArg, '--build-arg');
      const labels = keyValues(o.label, '--label');
      const c = await clientFor(g());
      const p = progressPrinter();
      try {
        const r = await c.images.build(
          {
            ...(o.variant ? { variant: o.variant as 'ubuntu' } : {}),
            ...(o.base ? { baseImage: o.base } : {}),
            ...(o.context ? { context: resolve(o.context) } : {}),
            ...(o.file ? { dockerfile: resolve(o.file) } : {}),
            ...(o.tag ? { tag: o.tag } : {}),
            ...(o.target ? { target: o.target } : {}),
            ...(buildArgs ? { buildArgs } : {}),
            ...(labels ? { labels } : {}),
            ...(o.cache === false ? { noCache: true } : {}),
          },
          { onEvent: p.onEvent },
        );
        p.done();
        out(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.image} ${r.imageId.replace(/^sha256:/, '').slice(0, 12)} (${(r.durationMs / 1000).toFixed(1)} s)\n`);
      } catch (err) {
        p.done();
        throw err;
      }
    });

  image
    .command('ls')
    .description("berth's images")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await (await clientFor(g())).images.list();
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      const rows = [['IMAGE', 'ID', 'VARIANT', 'SIZE', 'CREATED']];
      for (const i of list) rows.push([i.tags.join(',') || '<none>', i.id.replace(/^sha256:/, '').slice(0, 12), i.variant, size(i.size), localTime(i.created)]);
      out(table(rows));
    });

  image
    .command('rm')
    .description('remove berth images by name or id')
    .argument('<images...>', 'names or ids')
    .option('-f, --force', 'remove even if a container uses it')
    .action(async (names: string[], o: { force?: boolean }) => {
      const c = await clientFor(g());
      for (const n of names) {
        const r = await c.images.remove(n, { force: o.force ?? false });
        out(`${n}${r.removed ? '' : ' (was not there)'}\n`);
      }
    });

  image
    .command('prune')
    .description("remove berth's dangling images (with --all, every berth image no container uses)")
    .option('-a, --all', 'also tagged images no container uses')
    .action(async (o: { all?: boolean }) => {
      const r = await (await clientFor(g())).images.prune({ all: o.all ?? false });
      out(r.removed.length ? `${r.removed.join('\n')}\n` : 'nothing to remove\n');
    });
}
