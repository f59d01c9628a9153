import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../common/errors.js';
import { workflowReport } from '../workflow/report.js';
import type { WorkflowRun } from '../workflow/workflow-run.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { collect, keyValues, wholeNumber } from './parse.js';
import { localTime, table } from './table.js';

const out = (s: string) => process.stdout.write(s);
const secs = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);

/** The steps of a run as a table; a running step's duration counts from its start. */
function stepsTable(run: WorkflowRun, now = Date.now()): string {
  const rows = [['STEP', 'STATUS', 'EXIT', 'DURATION', 'NEEDS']];
  for (const s of run.steps) {
    const needs = run.spec.steps.find((w) => w.id === s.id)?.needs ?? [];
    const running = s.status === 'running' && s.startedAt ? now - Date.parse(s.startedAt) : undefined;
    rows.push([s.id, s.status, s.exitCode === undefined ? '' : String(s.exitCode), secs(s.durationMs ?? running), needs.join(',')]);
  }
  return table(rows);
}

/** Shows progress: a table redrawn in place on a TTY, one line per step change otherwise. */
function progressPrinter(tty: boolean, out: (s: string) => void): { update(run: WorkflowRun): void; done(): void } {
  const seen = new Map<string, string>();
  let drawn = 0;
  let last: WorkflowRun | undefined;
  const draw = () => {
    if (!last) return;
    const text = `${last.name} ${last.id}: ${last.status}\n${stepsTable(last)}`;
    out(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${text}`);
    drawn = text.split('\n').length - 1;
  };
  const timer = tty ? setInterval(draw, 500) : undefined;
  return {
    update(run) {
      last = run;
      if (tty) return draw();
      for (const s of run.steps) {
        if (seen.get(s.id) === s.status || s.status === 'pending') continue;
        seen.set(s.id, s.status);
        const extra = [s.exitCode !== undefined ? `exit ${s.exitCode}` : '', secs(s.durationMs), s.error ?? ''].filter(Boolean).join(', ');
        out(`${new Date().toTimeString().slice(0, 8)} ${s.id} ${s.status}${extra ? ` (${extra})` : ''}\n`);
      }
    },
    done() {
      if (timer) clearInterval(timer);
      if (tty) draw();
    },
  };
}

async function writeReports(run: WorkflowRun, o: { report?: string; reportMd?: string; reportJson?: string }): Promise<void> {
  if (o.reportMd) await writeFile(o.reportMd, workflowReport(run, 'md'));
  if (o.reportJson) await writeFile(o.reportJson, workflowReport(run, 'json'));
  if (o.report) out(workflowReport(run, o.report as 'md' | 'json'));
}

function reportFormat(v: string | undefined): void {
  if (v !== undefined && v !== 'md' && v !== 'json') {
    throw new BerthError('InvalidArgument', `--report: "${v}" must be md or json`, { details: { problems: [{ path: '--report', message: 'must be md or json' }] } });
  }
}

/** Exit status of a finished run: 0 succeeded, 1 failed, 130 cancelled. */
const exitFor = (run: WorkflowRun) => (run.status === 'succeeded' ? 0 : run.status === 'cancelled' ? 130 : 1);

/** berth workflow run | ls | show | cancel. */
export function registerWorkflowCommands(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const wf = program.command('workflow').description('workflows: steps in containers, run as a DAG by the daemon');

  wf.command('run')
    .description('run a workflow file (YAML) and follow it; ctrl-c cancels the run; exits 1 when it failed, 130 when cancelled')
    .argument('<file>', 'the workflow file; relative mount sources resolve against its directory')
    .option('--concurrency <n>', "steps at once (default the file's concurrency, else 4)")
    .option('--label <K=V>', 'extra label on every container of the run (repeatable)', collect)
    .option('--report <format>', 'print the report when the run ends: md or json')
    .option('--report-md <file>', 'write the Markdown report here')
    .option('--report-json <file>', 'write the JSON report here')
    .option('--detach', 'start the run and print its id; do not follow')
    .addHelpText('after', '\nExamples:\n  $ berth workflow run ci.yaml\n  $ berth workflow run ci.yaml --report json | jq .status')
    .action(async (file: string, o: { concurrency?: string; label?: string[]; report?: string; reportMd?: string; reportJson?: string; detach?: boolean }) => {
      reportFormat(o.report);
      const path = resolve(file);
      const source = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new BerthError('NotFound', `cannot read the workflow file ${file}: ${err.code ?? err.message}`, { details: { file } });
      });
      const concurrency = wholeNumber(o.concurrency, '--concurrency');
      const labels = keyValues(o.label, '--label');
      const c = await clientFor(g());
      const started = await c.workflows.start({ source, file, baseDir: dirname(path), ...(concurrency ? { concurrency } : {}), ...(labels ? { labels } : {}) });
      if (o.detach) return void out(`${started.id}\n`);
      // With --report, stdout carries the report alone: progress goes to stderr.
      const progressTo = o.report ? process.stderr : process.stdout;
      const say = (s: string) => void progressTo.write(s);
      if (!progressTo.isTTY) say(`run ${started.id} (${started.name}, ${started.steps.length} steps)\n`);
      const printer = progressPrinter(Boolean(progressTo.isTTY), say);
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        process.stderr.write(`cancelling run ${started.id} (ctrl-c again to leave it running in the daemon)…\n`);
        c.workflows.cancel(started.id).catch((err: unknown) => process.stderr.write(`cancel failed: ${BerthError.from(err).message}\n`));
      };
      process.on('SIGINT', onSigint);
      let final: WorkflowRun;
      try {
        final = await c.workflows.watch(started.id, (run) => printer.update(run));
      } finally {
        printer.done();
        process.off('SIGINT', onSigint);
      }
      if (!progressTo.isTTY) say(`run ${final.id} ${final.status}${final.durationMs !== undefined ? ` in ${secs(final.durationMs)}` : ''}${final.error ? `: ${final.error}` : ''}\n`);
      await writeReports(final, o);
      process.exitCode = exitFor(final);
    });

  wf.command('ls')
    .description('workflow runs, newest first')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (o: { limit: string; json?: boolean }) => {
      const c = await clientFor(g());
      const runs = await c.workflows.list({ limit: wholeNumber(o.limit, '--limit') || 50 });
      if (o.json) return void out(`${JSON.stringify(runs, null, 2)}\n`);
      const rows = [['RUN', 'NAME', 'STATUS', 'STEPS', 'STARTED', 'DURATION', 'FILE']];
      for (const r of runs) {
        const ok = r.steps.filter((s) => s.status === 'succeeded').length;
        rows.push([r.id, r.name, r.status, `${ok}/${r.steps.length} ok`, r.startedAt ? localTime(r.startedAt) : '', secs(r.durationMs), r.file]);
      }
      out(table(rows));
    });

  wf.command('show')
    .description("a run's steps (status, exit code, duration, log tail)")
    .argument('<run>', 'the run id')
    .option('--json', 'the JSON report')
    .option('--md', 'the Markdown report')
    .action(async (id: string, o: { json?: boolean; md?: boolean }) => {
      const c = await clientFor(g());
      const run = await c.workflows.get(id);
      if (o.json || o.md) return void out(workflowReport(run, o.json ? 'json' : 'md'));
      out(`${run.name} ${run.id}: ${run.status}${run.durationMs !== undefined ? ` in ${secs(run.durationMs)}` : ''}${run.error ? ` (${run.error})` : ''}\n${stepsTable(run)}`);
      for (const s of run.steps) {
        if (!s.logTail && !s.error) continue;
        out(`\n--- ${s.id} (${s.status})${s.error ? `: ${s.error}` : ''}\n${s.logTail}${s.logTail.endsWith('\n') || !s.logTail ? '' : '\n'}`);
      }
    });

  wf.command('cancel')
    .description('cancel a running run (its containers are removed)')
    .argument('<run>', 'the run id')
    .action(async (id: string) => {
      const c = await clientFor(g());
      const run = await c.workflows.cancel(id);
      out(`${run.id} ${run.status}\n`);
    });
}
