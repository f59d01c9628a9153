import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, evaluateCondition, parseCondition, referencedSteps } from '../../src/workflow/condition.js';
import { runDag, type StepOutcome, type StepState } from '../../src/workflow/run-dag.js';
import { parseWorkflow } from '../../src/workflow/parse-workflow.js';
import type { WorkflowStep } from '../../src/workflow/workflow-spec.js';

describe('conditions', () => {
  const ctx = (o: Partial<{ success: boolean; failure: boolean; codes: Record<string, number> }> = {}) => ({
    success: o.success ?? true,
    failure: o.failure ?? false,
    exitCode: (id: string) => o.codes?.[id],
  });
  const ev = (src: string, c = ctx()) => evaluateCondition(parseCondition(src), c);

  it('evaluates functions, exit-code tests, !, && and || with precedence and parentheses', () => {
    expect(ev('success()')).toBe(true);
    expect(ev('failure()')).toBe(false);
    expect(ev('always()', ctx({ success: false }))).toBe(true);
    expect(ev('steps.check.exitCode == 1', ctx({ codes: { check: 1 } }))).toBe(true);
    expect(ev('steps.check.exitCode != 0', ctx({ codes: { check: 0 } }))).toBe(false);
    expect(ev('2 < steps.a.exitCode', ctx({ codes: { a: 3 } }))).toBe(true);
    expect(ev('steps.a.exitCode >= 3 && steps.a.exitCode <= 3', ctx({ codes: { a: 3 } }))).toBe(true);
    expect(ev('failure() || success() && !always()')).toBe(false);
    expect(ev('(failure() || success()) && !failure()')).toBe(true);
    expect(ev('steps.skipped.exitCode != 0')).toBe(false);
    expect(referencedSteps(parseCondition('steps.a.exitCode == 1 || !(steps.b-2.exitCode > 0)'))).toEqual(['a', 'b-2']);
  });

  it('refuses anything else with the offset of the problem, never evaluating code', () => {
    const off = (src: string) => {
      try {
        parseCondition(src);
      } catch (err) {
        expect(err).toBeInstanceOf(ConditionSyntaxError);
        return [(err as ConditionSyntaxError).offset, (err as Error).message];
      }
      throw new Error(`${src} parsed`);
    };
    expect(off('process.exit()')).toEqual([0, expect.stringMatching(/unknown function|unexpected/)]);
    expect(off('success() &&')[0]).toBe(12);
    expect(off('steps.a.exitCode = 1')[0]).toBe(17);
    expect(off('(success()')[1]).toMatch(/expected "\)"/);
    expect(off('success() failure()')[1]).toMatch(/expected the end/);
    expect(off('')[1]).toMatch(/expected a condition/);
  });
});

/** A fake executor: each step's outcome after `ms` of fake time, recording starts and ends. */
function fake(plan: Record<string, { ms?: number; exit?: number }>) {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const execute = (step: WorkflowStep, ctx: { signal: AbortSignal; inputs: Array<{ step: string; path: string }> }): Promise<StepOutcome> => {
    running++;
    peak = Math.max(peak, running);
    log.push(`start ${step.id}${ctx.inputs.length ? ` <${ctx.inputs.map((i) => `${i.step}:${i.path}`).join(',')}>` : ''}`);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        running--;
        log.push(`end ${step.id}`);
        resolve({ exitCode: plan[step.id]?.exit ?? 0, logTail: '', artifacts: step.artifacts.map((path) => ({ step: step.id, path, hostPath: `/h/${step.id}`, bytes: 1 })) });
      }, plan[step.id]?.ms ?? 5);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        running--;
        log.push(`stopped ${step.id}`);
        resolve({ exitCode: 137, logTail: '' });
      });
    });
  };
  return { execute, log, peak: () => peak };
}

const wf = (steps: string[], concurrency = 4) => parseWorkflow(['image: i', `concurrency: ${concurrency}`, 'steps:', ...steps.map((s) => `  - ${s}`)].join('\n'));
const statuses = (steps: StepState[]) => Object.fromEntries(steps.map((s) => [s.id, s.status]));

describe('runDag', () => {
  it('runs independent steps together up to the cap, dependants after their needs, in file order', async () => {
    const f = fake({ a: { ms: 30 }, b: { ms: 10 }, c: { ms: 10 } });
    const w = wf(['{ id: a, command: [x] }', '{ id: b, command: [x] }', '{ id: c, command: [x] }', '{ id: d, command: [x], needs: [a, b] }', '{ id: e, command: [x], needs: [d] }'], 2);
    const r = await runDag(w, { execute: f.execute });
    expect(r.status).toBe('succeeded');
    expect(f.peak()).toBe(2);
    expect(f.log.slice(0, 2)).toEqual(['start a', 'start b']);
    expect(f.log.indexOf('start c')).toBeGreaterThan(f.log.indexOf('end b'));
    expect(f.log.indexOf('start d')).toBeGreaterThan(Math.max(f.log.indexOf('end a'), f.log.indexOf('end b')));
    expect(f.log.indexOf('start e')).toBeGreaterThan(f.log.indexOf('end d'));
  });

  it('skips steps whose condition is false and their success() dependants; reports every change', async () => {
    const f = fake({ check: { exit: 1 } });
    const changes: string[] = [];
    const w = wf([
      '{ id: check, command: [x], continueOnError: true }',
      '{ id: fix, command: [x], needs: [check], if: failure() }',
      '{ id: ship, command: [x], needs: [check] }',
      '{ id: announce, command: [x], needs: [ship] }',
      '{ id: summary, command: [x], needs: [fix, announce], if: always() }',
    ]);
    const r = await runDag(w, { execute: f.execute, onStep: (s) => changes.push(`${s.id}:${s.status}`) });
    expect(statuses(r.steps)).toEqual({ check: 'failed', fix: 'succeeded', ship: 'skipped', announce: 'skipped', summary: 'succeeded' });
    expect(r.status).toBe('succeeded');
    expect(changes).toEqual(['check:running', 'check:failed', 'fix:running', 'ship:skipped', 'announce:skipped', 'fix:succeeded', 'summary:running', 'summary:succeeded']);
  });

  it('hands every ancestor’s artifacts to a step, in file order', async () => {
    const f = fake({});
    const w = wf(['{ id: a, command: [x], artifacts: [/a] }', '{ id: b, command: [x], needs: [a], artifacts: [/b] }', '{ id: c, command: [x], needs: [b] }']);
    await runDag(w, { execute: f.execute });
    expect(f.log).toContain('start c <a:/a,b:/b>');
    expect(f.log).toContain('start b <a:/a>');
  });

  it('a failure stops running steps and cancels pending ones; the run fails', async () => {
    const f = fake({ bad: { ms: 5, exit: 2 }, slow: { ms: 10_000 } });
    const w = wf(['{ id: bad, command: [x] }', '{ id: slow, command: [x] }', '{ id: later, command: [x], needs: [slow] }', '{ id: always, command: [x], needs: [bad], if: always() }']);
    const r = await runDag(w, { execute: f.execute });
    expect(r.status).toBe('failed');
    expect(statuses(r.steps)).toEqual({ bad: 'failed', slow: 'cancelled', later: 'cancelled', always: 'cancelled' });
    expect(f.log).toContain('stopped slow');
    expect(r.steps.find((s) => s.id === 'later')?.error).toBe('cancelled: an earlier step failed');
  });

  it('an abort cancels the run; an executor that throws fails its step with the message', async () => {
    const f = fake({ slow: { ms: 10_000 } });
    const ac = new AbortController();
    const p = runDag(wf(['{ id: slow, command: [x] }', '{ id: next, command: [x], needs: [slow] }']), { execute: f.execute, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const r = await p;
    expect(r.status).toBe('cancelled');
    expect(statuses(r.steps)).toEqual({ slow: 'cancelled', next: 'cancelled' });
    const thrown = await runDag(wf(['{ id: x, command: [x] }']), { execute: async () => Promise.reject(new Error('no such image')) });
    expect(thrown.status).toBe('failed');
    expect(thrown.steps[0]).toMatchObject({ status: 'failed', error: 'no such image' });
  });
});
