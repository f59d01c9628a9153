import type { Command } from 'commander';
import type { ResourceSample } from '../monitor/resource-sample.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { duration } from './parse.js';
import { bytes, localTime, table } from './table.js';

const out = (s: string) => process.stdout.write(s);

function statsTable(samples: ResourceSample[], names: Map<string, string>): string {
  const rows = [['SESSION', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']];
  for (const s of samples) {
    rows.push([
      s.sessionId,
      names.get(s.sessionId) ?? '',
      `${s.cpuPercent.toFixed(2)}%`,
      `${bytes(s.memoryBytes)} / ${s.memoryLimitBytes ? bytes(s.memoryLimitBytes) : 'unlimited'}`,
      `${s.memoryPercent.toFixed(2)}%`,
      `${bytes(s.netRxBytes)} / ${bytes(s.netTxBytes)}`,
      `${bytes(s.blockReadBytes)} / ${bytes(s.blockWriteBytes)}`,
      String(s.pids),
    ]);
  }
  return table(rows);
}

/** stats, events, alerts, health. */
export function registerMonitorCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('stats')
    .description('live resource use of running sessions, refreshed in place (like docker stats)')
    .argument('[sessions...]', 'only these sessions (ids or names)')
    .option('--no-stream', 'print once and exit')
    .option('--json', 'print JSON once and exit')
    .option('-a, --all', 'also ended sessions (their last figures)')
    .option('--interval <duration>', 'refresh every this long (500ms, 2s; a plain number is ms)', '1000')
    .addHelpText('after', '\nExamples:\n  $ berth stats\n  $ berth stats --no-stream dev\n  $ berth stats --interval 2s')
    .action(async (sessions: string[], o: { stream: boolean; json?: boolean; interval: string; all?: boolean }) => {
      const interval = Math.max(200, duration(o.interval, '--interval') ?? 1000);
      const c = await clientFor(g());
      for (const s of sessions) await c.sessions.get(s);
      const names = new Map<string, string>();
      const read = async () => {
        const [list, samples] = await Promise.all([c.sessions.list({ all: o.all ?? false }), c.monitor.stats(undefined, { fresh: true })]);
        const shown = new Set<string>();
        for (const s of list) {
          names.set(s.id, s.name === s.id ? '' : s.name);
          if ((o.all || s.state === 'running') && (!sessions.length || sessions.includes(s.id) || sessions.includes(s.name))) shown.add(s.id);
        }
        return samples.filter((s) => shown.has(s.sessionId));
      };
      if (o.json) return void out(`${JSON.stringify(await read(), null, 2)}\n`);
      if (!o.stream) return void out(statsTable(await read(), names));
      const tty = process.stdout.isTTY;
      for (;;) {
        const text = statsTable(await read(), names);
        out(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
        await new Promise((r) => setTimeout(r, interval));
      }
    });

  program
    .command('events')
    .description('follow session state changes, alerts, OOM kills and health changes')
    .option('--session <session>', 'only this session')
    .option('--json', 'one JSON object per line')
    .addHelpText('after', '\nExamples:\n  $ berth events\n  $ berth events --session dev --json')
    .action(async (o: { session?: string; json?: boolean }) => {
      const c = await clientFor(g());
      const { events } = await c.monitor.events(o.session ? { session: o.session } : {});
      const names = new Map<string, string>();
      const nameOf = async (id: string) => {
        if (!names.has(id)) names.set(id, await c.sessions.get(id).then((s) => s.name, () => id));
        return names.get(id)!;
      };
      for await (const e of events) {
        if (o.json) {
          out(`${JSON.stringify(e)}\n`);
          continue;
        }
        const detail = Object.entries(e.data).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
        out(`${localTime(e.at)}  ${e.type.padEnd(14)} ${await nameOf(e.sessionId)}  ${detail}\n`);
      }
    });

  program
    .command('alerts')
    .description('firing alerts (with --all, resolved ones too)')
    .option('-a, --all', 'include resolved alerts')
    .option('--session <session>', 'only this session')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; session?: string; json?: boolean }) => {
      const c = await clientFor(g());
      const list = await c.monitor.alerts({ ...(o.all ? {} : { state: 'firing' as const }), ...(o.session ? { session: o.session } : {}) });
      if (o.json) return void out(`${JSON.stringify(list, null, 2)}\n`);
      const rows = [['ID', 'SESSION', 'RULE', 'STATE', 'FIRED', 'MESSAGE']];
      for (const a of list) rows.push([String(a.id), a.sessionId, a.rule, a.state, localTime(a.firedAt), a.message]);
      out(table(rows));
    });

  program
    .command('health')
    .description("a session's health: status, checks, restarts")
    .argument('<session>', 'session id or name')
    .option('--json', 'print JSON')
    .action(async (session: string, o: { json?: boolean }) => {
      const c = await clientFor(g());
      const h = await c.monitor.health(session);
      if (o.json) return void out(`${JSON.stringify(h, null, 2)}\n`);
      const lines = [`status: ${h.status} (checked by ${h.checkedBy}, failing streak ${h.failingStreak})`];
      if (h.lastCheckAt) lines.push(`last check: ${h.lastCheckAt}${h.lastOutput ? ` — ${h.lastOutput.trim().slice(0, 200)}` : ''}`);
      lines.push(`policy: ${JSON.stringify(h.policy)}`, `restarts: ${h.restarts.length}`);
      for (const r of h.restarts) lines.push(`  ${r.at} #${r.attempt} ${r.reason}`);
      out(`${lines.join('\n')}\n`);
    });
}
