import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/common/errors.js';
import { parseWorkflow, type WorkflowProblem } from '../../src/workflow/parse-workflow.js';
import { findCycles } from '../../src/workflow/dag.js';

const problemsOf = (src: string, o: Parameters<typeof parseWorkflow>[1] = {}): WorkflowProblem[] => {
  try {
    parseWorkflow(src, o);
  } catch (err) {
    expect(BerthError.is(err, 'InvalidArgument')).toBe(true);
    return (err as BerthError).details.problems as WorkflowProblem[];
  }
  throw new Error('expected the workflow to be refused');
};
const brief = (ps: WorkflowProblem[]) => ps.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);

describe('parseWorkflow', () => {
  it('fills defaults and resolves relative bind sources against the base dir', () => {
    const wf = parseWorkflow(
      ['name: w', 'image: img:1', 'steps:', '  - id: a', '    command: [echo, hi]', '    mounts: [{ source: ./data, target: /data }, { source: /abs, target: /b, readOnly: false }]', '    timeout: 2m', '    env: { N: 3 }'].join('\n'),
      { baseDir: '/base' },
    );
    expect(wf.concurrency).toBe(4);
    expect(wf.steps[0]).toMatchObject({
      id: 'a', image: 'img:1', workdir: '/workspace', timeoutMs: 120_000, if: 'success()', needs: [], continueOnError: false, artifacts: [], env: { N: '3' },
      mounts: [{ type: 'bind', source: '/base/data', target: '/data', readOnly: true }, { type: 'bind', source: '/abs', target: '/b', readOnly: false }],
    });
  });

  it('reports every schema problem with its line and column', () => {
    const src = [
      'name: w', //                                    1
      'concurrency: 0', //                             2
      'steps:', //                                     3
      '  - id: 9bad', //                               4
      '    image: img', //                             5
      '    command: "echo hi"', //                     6
      '    timeout: soon', //                          7
      '    mounts: [{ target: rel }]', //              8
      '    artifacts: [out.txt]', //                   9
      '    extra: true', //                            10
    ].join('\n');
    expect(brief(problemsOf(src))).toEqual([
      '2:14 concurrency: Too small: expected number to be >=1',
      '4:9 steps[0].id: must start with a letter or _ and use letters, digits, _ or - (up to 40)',
      '6:14 steps[0].command: Invalid input: expected array, received string',
      '7:14 steps[0].timeout: is not a duration (e.g. 30s, 5m, 1h, 500ms, or a number of seconds)',
      '8:14 steps[0].mounts[0].source: Invalid input: expected string, received undefined',
      '8:24 steps[0].mounts[0].target: must be an absolute path in the container',
      '9:17 steps[0].artifacts[0]: must be an absolute path in the container',
      '10:5 steps[0].extra: unknown field "extra"',
    ]);
  });

  it('reports duplicate ids, unknown needs, self needs, every cycle by name, bad and dangling conditions', () => {
    const src = [
      'image: img', //                                           1
      'steps:', //                                               2
      '  - { id: a, command: [x], needs: [c] }', //              3
      '  - { id: b, command: [x], needs: [a, nope] }', //        4
      '  - { id: c, command: [x], needs: [b] }', //              5
      '  - { id: a, command: [x] }', //                          6
      '  - { id: d, command: [x], needs: [d] }', //              7
      '  - { id: e, command: [x], if: "success() &&" }', //      8
      '  - { id: f, command: [x], if: steps.zz.exitCode == 1 }', // 9
      '  - { id: g, command: [x], if: steps.e.exitCode != 0 }', // 10
    ].join('\n');
    expect(brief(problemsOf(src))).toEqual([
      '3:35 steps[0].needs: cycle: a → c → b → a',
      '4:39 steps[1].needs[1]: unknown step "nope"; known: a, b, c, d, e, f, g',
      '6:11 steps[3].id: duplicate step id "a" (first at steps[0])',
      '7:36 steps[4].needs[0]: step "d" needs itself',
      '8:32 steps[5].if: bad condition "success() &&" at character 13: expected a condition at the end',
      '9:32 steps[6].if: condition refers to unknown step "zz"',
      '10:32 steps[7].if: condition reads steps.e.exitCode but "g" does not need "e" (add it to needs)',
    ]);
  });

  it('reports graph problems together with schema problems, YAML syntax errors with their line', () => {
    const ps = problemsOf(['steps:', '  - { id: a, command: [x], needs: [zz], memory: 1 }'].join('\n'));
    expect(brief(ps)).toEqual(['2:36 steps[0].needs[0]: unknown step "zz"; known: a', '2:41 steps[0].memory: unknown field "memory"']);
    const y = problemsOf('steps:\n  - id: a\n    command: [x\n');
    expect(y[0]?.line).toBeGreaterThanOrEqual(3);
    expect(y[0]?.message).toMatch(/^YAML: /);
    expect(brief(problemsOf('steps:\n  - id: a\n    id: b\n    command: [x]\n'))[0]).toMatch(/^3:\d+ : YAML: Map keys must be unique/);
  });

  it('needs an image or a known variant, and puts the file name in the message', () => {
    const e = (() => {
      try {
        parseWorkflow('steps:\n  - { id: a, command: [x] }\n  - { id: b, command: [x], variant: python }\n', { file: 'ops.yaml' });
      } catch (err) {
        return err as BerthError;
      }
      throw new Error('expected an error');
    })();
    expect(e.message).toContain('ops.yaml:2:5 steps[0]: step "a" needs an image');
    expect(e.message).toContain('ops.yaml:3:37 steps[1].variant: variants are not available in this berth; give an image');
    expect(parseWorkflow('steps:\n  - { id: b, command: [x], variant: python }\n', { variants: ['python'] }).steps[0]?.variant).toBe('python');
  });
});

describe('findCycles', () => {
  it('finds each cycle once and none in a DAG', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
    expect(findCycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['d']], ['d', ['e']], ['e', ['c']]]))).toEqual([['a', 'b', 'a'], ['c', 'd', 'e', 'c']]);
  });
});
