import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../src/workflow/parse-workflow.js';
import { workflowReport } from '../../src/workflow/report.js';
import type { WorkflowRun } from '../../src/workflow/workflow-run.js';

const spec = parseWorkflow('image: i\nname: nightly\nsteps:\n  - { id: a, command: [x] }\n  - { id: b, command: [x], needs: [a], if: "failure() || steps.a.exitCode == 1" }\n');
const run: WorkflowRun = {
  id: 'wf-1',
  name: 'nightly',
  file: 'n.yaml',
  status: 'failed',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:02.500Z',
  durationMs: 2500,
  error: 'step a failed',
  labels: {},
  spec,
  steps: [
    { id: 'a', status: 'failed', exitCode: 1, durationMs: 1200, logTail: 'out | with pipe\n```fence', artifacts: [{ path: '/out/x', bytes: 12 }] },
    { id: 'b', status: 'skipped', logTail: '', artifacts: [] },
  ],
};

describe('workflowReport', () => {
  it('Markdown: a header, a table row per step with escaped cells, then errors and log tails', () => {
    const md = workflowReport(run, 'md');
    expect(md).toContain('# Workflow nightly: failed');
    expect(md).toContain('- steps: 1 failed, 1 skipped');
    expect(md).toContain('| a | failed | 1 | 1.20 s |  | `success()` | /out/x (12 B) |');
    expect(md).toContain('| b | skipped |  |  | a | `failure() \\|\\| steps.a.exitCode == 1` |  |');
    expect(md).toMatch(/## a \(failed\)\n\n```\nout \| with pipe\n`\u200b``fence\n```/);
    expect(md).not.toContain('## b');
  });

  it('JSON: the run without its spec, each step with its needs, condition and command', () => {
    const j = JSON.parse(workflowReport(run, 'json')) as Record<string, unknown> & { steps: Array<Record<string, unknown>> };
    expect(j).not.toHaveProperty('spec');
    expect(j).toMatchObject({ id: 'wf-1', status: 'failed', durationMs: 2500, counts: { failed: 1, skipped: 1 } });
    expect(j.steps[1]).toMatchObject({ id: 'b', needs: ['a'], if: 'failure() || steps.a.exitCode == 1', image: 'i', command: ['x'] });
  });
});
