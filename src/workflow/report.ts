import type { WorkflowRun } from './workflow-run.js';

/** The JSON report of a run: the run without its spec, plus each step's needs and condition. */
export interface WorkflowJsonReport {
  id: string;
  name: string;
  file: string;
  status: WorkflowRun['status'];
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
  counts: Record<string, number>;
  steps: Array<WorkflowRun['steps'][number] & { needs: string[]; if: string; image?: string; command: string[] }>;
}

function jsonReport(run: WorkflowRun): WorkflowJsonReport {
  const counts: Record<string, number> = {};
  for (const s of run.steps) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return {
    id: run.id,
    name: run.name,
    file: run.file,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}),
    ...(run.error ? { error: run.error } : {}),
    counts,
    steps: run.steps.map((s) => {
      const spec = run.spec.steps.find((w) => w.id === s.id);
      return { ...s, needs: spec?.needs ?? [], if: spec?.if ?? 'success()', ...(spec?.image ? { image: spec.image } : {}), command: spec?.command ?? [] };
    }),
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const secs = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(2)} s`);

function markdownReport(run: WorkflowRun): string {
  const r = jsonReport(run);
  const out = [
    `# Workflow ${r.name}: ${r.status}`,
    '',
    `- run: \`${r.id}\`${r.file ? `, file \`${r.file}\`` : ''}`,
    `- started ${r.startedAt}${r.endedAt ? `, ended ${r.endedAt} (${secs(r.durationMs)})` : ''}`,
    `- steps: ${Object.entries(r.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    ...(r.error ? [`- error: ${r.error}`] : []),
    '',
    '| step | status | exit | duration | needs | if | artifacts |',
    '|---|---|---|---|---|---|---|',
    ...r.steps.map((s) =>
      `| ${cell(s.id)} | ${s.status} | ${s.exitCode ?? ''} | ${secs(s.durationMs)} | ${cell(s.needs.join(', '))} | \`${cell(s.if)}\` | ${cell(s.artifacts.map((a) => `${a.path} (${a.bytes} B)`).join(', '))} |`,
    ),
  ];
  for (const s of r.steps) {
    if (!s.logTail && !s.error) continue;
    out.push('', `## ${s.id} (${s.status})`, '');
    if (s.error) out.push(`Error: ${s.error}`, '');
    if (s.logTail) out.push('```', s.logTail.replace(/```/g, '`​``').trimEnd(), '```');
  }
  return `${out.join('\n')}\n`;
}

/** A run's report: `md` (Markdown: a table of steps, then each step's error and log tail) or `json`. */
export function workflowReport(run: WorkflowRun, format: 'md' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(jsonReport(run), null, 2)}\n` : markdownReport(run);
}
