/** One Dockerfile instruction starting, as the engine's CLI announced it. */
export interface BuildStep {
  /** 1-based index within its stage (BuildKit, Podman multi-stage) or the whole file (Docker's legacy builder). */
  index: number;
  total: number;
  /** The stage's name or number when the builder says (`build`, `1/2`). */
  stage?: string;
  /** The instruction as the builder printed it, e.g. `RUN make`. */
  instruction: string;
}

/** Progress of a build: steps as they start, and every line of output. */
export type BuildEvent = { type: 'step'; step: BuildStep } | { type: 'output'; line: string };

// Docker's legacy builder: `Step 2/5 : RUN make`.
const LEGACY_STEP = /^Step (\d+)\/(\d+) : (.*)$/;
// Podman (buildah): `STEP 2/5: RUN make`, multi-stage `[1/2] STEP 2/5: RUN make`.
const PODMAN_STEP = /^(?:\[(\d+\/\d+)\] )?STEP (\d+)\/(\d+): (.*)$/;
// BuildKit plain progress: `#7 [build 2/5] RUN make` (internal steps such as `[internal] load …` carry no k/m).
const BUILDKIT_STEP = /^#\d+ \[(?:(.+?) )?(\d+)\/(\d+)\] (.*)$/;
// BuildKit plain output of a step: `#7 0.532 some output`.
const BUILDKIT_OUTPUT = /^#\d+ \d+\.\d+ (.*)$/;

/**
 * Turns the text of `docker build` (legacy or BuildKit `--progress=plain`) or `podman build`
 * into events, line by line, and keeps what a failure report needs: the step that was
 * running and the last lines of output.
 */
export class BuildOutputParser {
  private partial = '';
  private readonly tail: string[] = [];
  private current: BuildStep | undefined;
  private stepCount = 0;

  /** @param keepLines how many of the last lines to keep for `lastLines`; default 30. */
  constructor(
    private readonly emit: (e: BuildEvent) => void,
    private readonly keepLines = 30,
  ) {}

  /** Feeds a chunk of output (any split; lines are reassembled). */
  push(chunk: string | Buffer): void {
    const parts = (this.partial + chunk.toString()).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  /** Flushes a last line without a newline. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  /** The step running when the output stopped (the failing one after a failure). */
  get lastStep(): BuildStep | undefined {
    return this.current;
  }

  /** How many steps started. */
  get steps(): number {
    return this.stepCount;
  }

  get lastLines(): string[] {
    return [...this.tail];
  }

  private line(raw: string): void {
    const line = raw.trimEnd();
    if (!line) return;
    this.tail.push(line);
    if (this.tail.length > this.keepLines) this.tail.shift();
    const step = parseStep(line);
    if (step) {
      // BuildKit prints a step again when it finishes or is cached; count it once.
      if (!sameStep(step, this.current)) this.stepCount += 1;
      this.current = step;
      this.emit({ type: 'step', step });
      return;
    }
    const out = BUILDKIT_OUTPUT.exec(line);
    this.emit({ type: 'output', line: out ? (out[1] ?? '') : line });
  }
}

function sameStep(a: BuildStep, b: BuildStep | undefined): boolean {
  return !!b && a.index === b.index && a.total === b.total && a.stage === b.stage && a.instruction === b.instruction;
}

/** The step a line announces, if it announces one. */
export function parseStep(line: string): BuildStep | undefined {
  let m = LEGACY_STEP.exec(line);
  if (m) return { index: Number(m[1]), total: Number(m[2]), instruction: m[3] ?? '' };
  m = PODMAN_STEP.exec(line);
  if (m) return { index: Number(m[2]), total: Number(m[3]), ...(m[1] ? { stage: m[1] } : {}), instruction: m[4] ?? '' };
  m = BUILDKIT_STEP.exec(line);
  if (m && m[1] !== 'internal') return { index: Number(m[2]), total: Number(m[3]), ...(m[1] ? { stage: m[1] } : {}), instruction: m[4] ?? '' };
  return undefined;
}

/** `[build] 2/5 RUN make`: a step in one line, for progress displays and error messages. */
export function describeStep(s: BuildStep): string {
  return `${s.stage ? `[${s.stage}] ` : ''}${s.index}/${s.total} ${s.instruction}`;
}
