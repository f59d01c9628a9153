import type { Command } from 'commander';
import type { BerthClient } from '../client/client.js';
import { BerthError } from '../common/errors.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { collect, keyValues } from './parse.js';
import { table } from './table.js';

const out = (s: string) => process.stdout.write(s);

/** A session's container (`berth-<id>`) when `target` names a live session, else `target` itself (a container). */
async function containerOf(c: BerthClient, target: string): Promise<string> {
  const s = await c.sessions.get(target).catch((err: unknown) => {
    if (BerthError.is(err, 'NotFound')) return undefined;
    throw err;
  });
  return s && s.backend === 'engine' ? s.containerName : target;
}

/** `berth network ls|create|inspect|rm|connect|disconnect|prune`: this daemon's networks. */
export function registerNetworkCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const network = program.command('network').description("berth's networks (a session's own isolated network is made by `--network isolated`)");

  network
    .command('ls')
    .description('list networks')
    .option('--label <K=V>', 'only those with this label (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (o: { label?: string[]; json?: boolean }) => {
      const labels = keyValues(o.label, '--label');
      const list = await (await clientFor(g())).networks.list(labels ? { labels } : {});
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      const rows = [['NAME', 'ID', 'INTERNAL', 'SESSION', 'CONTAINERS']];
      for (const n of list) rows.push([n.name, n.id.slice(0, 12), String(n.internal), n.session ?? '', String(n.containers.length)]);
      out(table(rows));
    });

  network
    .command('create')
    .description('create a network (internal unless --egress); the same name and options again is a no-op')
    .argument('<name>', 'network name')
    .option('--egress', 'allow traffic out (not internal)')
    .option('--label <K=V>', 'label (repeatable)', collect)
    .action(async (name: string, o: { egress?: boolean; label?: string[] }) => {
      const labels = keyValues(o.label, '--label');
      const n = await (await clientFor(g())).networks.create({ name, internal: !o.egress, ...(labels ? { labels } : {}) });
      out(`${n.id}\n`);
    });

  network
    .command('inspect')
    .description('a network as JSON, with its containers and their addresses')
    .argument('<network>', 'network id or name')
    .action(async (ref: string) => void out(`${JSON.stringify(await (await clientFor(g())).networks.inspect(ref), null, 2)}\n`));

  network
    .command('rm')
    .description('remove a network (refused while containers are attached)')
    .argument('<network>', 'network id or name')
    .action(async (ref: string) => void out(`${(await (await clientFor(g())).networks.remove(ref)).name}\n`));

  network
    .command('connect')
    .description("connect a session (by name or id) or a berth container to a network")
    .argument('<network>', 'network id or name')
    .argument('<session>', 'session name or id, or a berth container id or name')
    .option('--alias <name>', 'a name it answers to on this network (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  $ berth network connect lab web --alias api')
    .action(async (ref: string, target: string, o: { alias?: string[] }) => {
      const c = await clientFor(g());
      const container = await containerOf(c, target);
      const r = await c.networks.connect(ref, { container, ...(o.alias ? { aliases: o.alias } : {}) });
      out(r.changed ? 'connected\n' : 'already connected\n');
    });

  network
    .command('disconnect')
    .description('disconnect a session (by name or id) or a berth container from a network')
    .argument('<network>', 'network id or name')
    .argument('<session>', 'session name or id, or a berth container id or name')
    .option('-f, --force', 'even if the engine objects')
    .addHelpText('after', '\nExample:\n  $ berth network disconnect lab web')
    .action(async (ref: string, target: string, o: { force?: boolean }) => {
      const c = await clientFor(g());
      const container = await containerOf(c, target);
      const r = await c.networks.disconnect(ref, { container, ...(o.force ? { force: true } : {}) });
      out(r.changed ? 'disconnected\n' : 'not connected\n');
    });

  network
    .command('prune')
    .description("remove this daemon's networks that no container uses (live sessions' networks are kept)")
    .action(async () => {
      const r = await (await clientFor(g())).networks.prune();
      out(r.removed.map((n) => `${n}\n`).join(''));
    });
}
