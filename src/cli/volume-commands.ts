import type { Command } from 'commander';
import type { Volume } from '../volume/volume.js';
import type { GcResult } from '../volume/volumes-api.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { collect, keyValues } from './parse.js';
import { bytes, localTime, table } from './table.js';

const out = (s: string) => process.stdout.write(s);
const size = (n: number | undefined) => (n === undefined ? '-' : bytes(n));

function volumeTable(list: Volume[]): string {
  const rows = [['NAME', 'KIND', 'SESSION', 'SIZE', 'IN USE', 'LAST USED', 'CREATED']];
  for (const v of list) rows.push([v.name, v.kind, v.ownerSessionId ?? '-', size(v.sizeBytes), v.inUse ? v.usedBy.join(',') : 'no', v.lastUsedAt ? localTime(v.lastUsedAt) : '-', localTime(v.createdAt)]);
  return table(rows);
}

/** The table `berth gc` prints: one row per volume chosen, with its reason, size and whether it was removed. */
export function gcTable(r: GcResult): string {
  const rows = [['VOLUME', 'REASON', 'SIZE', 'REMOVED']];
  for (const e of r.entries) rows.push([e.name, e.reason, size(e.sizeBytes), r.dryRun ? 'no (dry run)' : e.removed ? 'yes' : `no: ${e.error ?? ''}`]);
  const summary = `${r.dryRun ? 'would remove' : 'removed'} ${r.dryRun ? r.entries.length : r.entries.filter((e) => e.removed).length} volume(s); ${r.keptCount} kept (${bytes(r.keptBytes)})\n`;
  return (r.entries.length ? table(rows) : '') + summary;
}

/** `berth volume ls|create|inspect|rm|prune` and `berth gc`. */
export function registerVolumeCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const volume = program.command('volume').description("this daemon's volumes (workspace, cache, logs)");

  volume
    .command('ls')
    .description('list volumes')
    .option('--kind <kind>', 'workspace, cache or logs')
    .option('--session <id>', 'only the volumes this session owns')
    .option('--label <K=V>', 'label filter (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (o: { kind?: string; session?: string; label?: string[]; json?: boolean }) => {
      const labels = keyValues(o.label, '--label');
      const c = await clientFor(g());
      const list = await c.volumes.list({ ...(o.kind ? { kind: o.kind as never } : {}), ...(o.session ? { session: o.session } : {}), ...(labels ? { labels } : {}) });
      out(o.json ? `${JSON.stringify(list, null, 2)}\n` : volumeTable(list));
    });

  volume
    .command('create')
    .description('create a volume (an existing one of the same kind is returned); prints its name')
    .argument('<name>', 'letters, digits, _ . -')
    .option('--kind <kind>', 'workspace, cache or logs (default cache)')
    .option('--label <K=V>', 'label (repeatable)', collect)
    .action(async (name: string, o: { kind?: string; label?: string[] }) => {
      const labels = keyValues(o.label, '--label');
      const c = await clientFor(g());
      out(`${(await c.volumes.create({ name, ...(o.kind ? { kind: o.kind as never } : {}), ...(labels ? { labels } : {}) })).name}\n`);
    });

  volume
    .command('inspect')
    .description('a volume as JSON, with its size and the containers using it')
    .argument('<name>')
    .action(async (name: string) => {
      const c = await clientFor(g());
      out(`${JSON.stringify(await c.volumes.inspect(name), null, 2)}\n`);
    });

  volume
    .command('rm')
    .description('remove volumes (refused while a container uses one)')
    .argument('<names...>')
    .action(async (names: string[]) => {
      const c = await clientFor(g());
      for (const name of names) {
        const r = await c.volumes.remove(name);
        out(`${r.name}${r.removed ? '' : ' (was not there)'}\n`);
      }
    });

  volume
    .command('prune')
    .description("remove every volume of this daemon that no container uses")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const c = await clientFor(g());
      const r = await c.volumes.prune();
      out(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.removed.map((n) => `${n}\n`).join('')}reclaimed ${bytes(r.reclaimedBytes)}\n`);
    });

  program
    .command('gc')
    .description('apply the volume cleanup policy (session ended, unused, too old, over budget); volumes in use are kept')
    .option('--dry-run', 'only show what would be removed and why')
    .option('--json', 'print JSON')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      const c = await clientFor(g());
      const r = await c.volumes.gc({ dryRun: o.dryRun ?? false });
      out(o.json ? `${JSON.stringify(r, null, 2)}\n` : gcTable(r));
    });
}
