import { describe, expect, it } from 'vitest';
import { BuildOutputParser, describeStep, parseStep, type BuildEvent } from '../../src/image/build-progress.js';

function run(text: string, chunk = 7): { events: BuildEvent[]; parser: BuildOutputParser } {
  const events: BuildEvent[] = [];
  const parser = new BuildOutputParser((e) => events.push(e), 3);
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  parser.end();
  return { events, parser };
}

describe('build output parser', () => {
  it("reads Docker's legacy builder, across chunk boundaries", () => {
    const { events, parser } = run('Sending build context\nStep 1/3 : FROM x AS build\n ---> abc\nStep 2/3 : RUN echo hi\nhi\nStep 3/3 : RUN false\nThe command returned 1');
    const steps = events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.step : undefined));
    expect(steps).toEqual([
      { index: 1, total: 3, instruction: 'FROM x AS build' },
      { index: 2, total: 3, instruction: 'RUN echo hi' },
      { index: 3, total: 3, instruction: 'RUN false' },
    ]);
    expect(events).toContainEqual({ type: 'output', line: 'hi' });
    expect(parser.lastStep?.instruction).toBe('RUN false');
    expect(parser.steps).toBe(3);
    expect(parser.lastLines).toEqual(['hi', 'Step 3/3 : RUN false', 'The command returned 1']);
  });

  it("reads Podman's STEP lines, with and without a stage prefix", () => {
    expect(parseStep('STEP 2/5: RUN make')).toEqual({ index: 2, total: 5, instruction: 'RUN make' });
    expect(parseStep('[1/2] STEP 3/4: COPY a b')).toEqual({ index: 3, total: 4, stage: '1/2', instruction: 'COPY a b' });
    expect(parseStep('--> 1234')).toBeUndefined();
  });

  it('reads BuildKit plain progress, counting a repeated step once and skipping internal steps', () => {
    const { events, parser } = run('#1 [internal] load build definition\n#5 [build 2/3] RUN make\n#5 0.532 compiling\n#5 [build 2/3] RUN make\n#5 DONE 0.6s\n', 5);
    expect(parser.steps).toBe(1);
    expect(parser.lastStep).toEqual({ index: 2, total: 3, stage: 'build', instruction: 'RUN make' });
    expect(events).toContainEqual({ type: 'output', line: 'compiling' });
    expect(describeStep(parser.lastStep!)).toBe('[build] 2/3 RUN make');
  });

  it('treats carriage returns as line ends (progress bars)', () => {
    const { events } = run('STEP 1/1: RUN x\r10%\r20%\n');
    expect(events.filter((e) => e.type === 'output').map((e) => (e.type === 'output' ? e.line : ''))).toEqual(['10%', '20%']);
  });
});
