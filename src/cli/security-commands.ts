import type { Command } from 'commander';
import type { SecurityReport } from '../security/security-score.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { sinceTime, wholeNumber } from './parse.js';
import { auditAction } from './audit-actions.js';
import { localTime, table } from './table.js';

const out = (s: string) => process.stdout.write(s);

/** The report as text: the score, then every check (✗ failed, · advisory). */
export function securityText(r: SecurityReport): string {
  const rows = [['', 'CHECK', 'WEIGHT', 'DETAIL']];
  for (const c of r.checks) rows.push([c.passed ? 'ok' : c.required ? 'FAIL' : 'advice', c.id, c.required ? String(c.weight) : '-', c.detail]);
  const head = `score ${r.score}/100 (profile ${r.profile}${r.inspectedInside ? '' : '; not running: PID 1 not read'})\n`;
  return head + table(rows);
}

/** audit. (`inspect --security` lives with inspect.) */
export function registerSecurityCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  program
    .command('audit')
    .description('the audit log: state-changing requests (who, what, target, result, when)')
    .option('--since <when>', 'a duration back from now (10m, 2h, 7d) or a date')
    .option('--limit <n>', 'at most this many (the newest)', '1000')
    .option('--json', 'print JSON (actions as routes)')
    .addHelpText('after', '\nExamples:\n  $ berth audit --since 1h\n  $ berth audit --json --limit 50')
    .action(async (o: { since?: string; limit: string; json?: boolean }) => {
      const since = sinceTime(o.since, '--since');
      const limit = wholeNumber(o.limit, '--limit');
      const c = await clientFor(g());
      const rows = await c.security.audit({ ...(since !== undefined ? { since } : {}), ...(limit ? { limit } : {}) });
      if (o.json) return void out(`${JSON.stringify(rows, null, 2)}\n`);
      out(table([['TIME', 'ACTOR', 'PEER', 'ACTION', 'TARGET', 'RESULT', 'MS'], ...rows.map((e) => [localTime(e.at), e.actor, e.peer || '-', auditAction(e.action), e.target, e.result, String(Math.round(e.durationMs))])]));
    });
}
