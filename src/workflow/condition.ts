/**
 * Step conditions (`if:`): a tiny expression language, parsed here (never evaluated as code).
 *
 *   expr    := or
 *   or      := and ('||' and)*
 *   and     := unary ('&&' unary)*
 *   unary   := '!' unary | primary
 *   primary := '(' expr ')' | 'success()' | 'failure()' | 'always()'
 *            | 'steps.' ID '.exitCode' OP INT | INT OP 'steps.' ID '.exitCode'
 *   OP      := '==' | '!=' | '<' | '<=' | '>' | '>='
 */
export type Condition =
  | { kind: 'fn'; name: 'success' | 'failure' | 'always' }
  | { kind: 'exitCode'; step: string; op: CompareOp; value: number }
  | { kind: 'not'; of: Condition }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A condition that does not parse: `offset` is the character where it went wrong (0-based). */
export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

type Token = { t: 'op' | 'num' | 'ref' | 'fn' | '(' | ')' | '!' | '&&' | '||'; v: string; at: number };

const FUNCTIONS = new Set(['success', 'failure', 'always']);
const STEP_ID = '[a-zA-Z_][a-zA-Z0-9_-]*';

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const rules: Array<[RegExp, (m: RegExpExecArray) => Omit<Token, 'at'>]> = [
    [/^(==|!=|<=|>=|<|>)/, (m) => ({ t: 'op', v: m[1]! })],
    [/^&&/, () => ({ t: '&&', v: '&&' })],
    [/^\|\|/, () => ({ t: '||', v: '||' })],
    [/^!/, () => ({ t: '!', v: '!' })],
    [/^\(/, () => ({ t: '(', v: '(' })],
    [/^\)/, () => ({ t: ')', v: ')' })],
    [/^-?\d+/, (m) => ({ t: 'num', v: m[0] })],
    [new RegExp(`^steps\\.(${STEP_ID})\\.exitCode\\b`), (m) => ({ t: 'ref', v: m[1]! })],
    [/^([a-zA-Z_]+)\s*\(\s*\)/, (m) => ({ t: 'fn', v: m[1]! })],
  ];
  let i = 0;
  outer: while (i < src.length) {
    if (/\s/.test(src[i]!)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    for (const [re, make] of rules) {
      const m = re.exec(rest);
      if (!m) continue;
      const tok = make(m);
      if (tok.t === 'fn' && !FUNCTIONS.has(tok.v)) throw new ConditionSyntaxError(`unknown function ${tok.v}(); use success(), failure() or always()`, i);
      out.push({ ...tok, at: i });
      i += m[0].length;
      continue outer;
    }
    throw new ConditionSyntaxError(`unexpected "${rest.slice(0, 12)}"; expected success(), failure(), always(), steps.<id>.exitCode <op> <number>, !, &&, || or parentheses`, i);
  }
  return out;
}

/** Parses a condition; `ConditionSyntaxError` says where it went wrong. */
export function parseCondition(src: string): Condition {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const fail = (what: string): never => {
    const t = peek();
    throw new ConditionSyntaxError(t ? `expected ${what}, got "${t.v}"` : `expected ${what} at the end`, t?.at ?? src.length);
  };
  const num = (): number => {
    const t = peek();
    if (t?.t !== 'num') return fail('a number');
    p++;
    return Number(t.v);
  };
  const op = (): CompareOp => {
    const t = peek();
    if (t?.t !== 'op') return fail('==, !=, <, <=, > or >=');
    p++;
    return t.v as CompareOp;
  };
  const flip: Record<CompareOp, CompareOp> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
  const primary = (): Condition => {
    const t = peek();
    if (!t) return fail('a condition');
    if (t.t === '(') {
      p++;
      const e = or();
      if (peek()?.t !== ')') fail('")"');
      p++;
      return e;
    }
    if (t.t === 'fn') {
      p++;
      return { kind: 'fn', name: t.v as 'success' };
    }
    if (t.t === 'ref') {
      p++;
      const o = op();
      return { kind: 'exitCode', step: t.v, op: o, value: num() };
    }
    if (t.t === 'num') {
      const value = num();
      const o = op();
      const r = peek();
      if (r?.t !== 'ref') return fail('steps.<id>.exitCode');
      p++;
      return { kind: 'exitCode', step: r.v, op: flip[o], value };
    }
    return fail('a condition');
  };
  const unary = (): Condition => {
    if (peek()?.t === '!') {
      p++;
      return { kind: 'not', of: unary() };
    }
    return primary();
  };
  const and = (): Condition => {
    let left = unary();
    while (peek()?.t === '&&') {
      p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const or = (): Condition => {
    let left = and();
    while (peek()?.t === '||') {
      p++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const e = or();
  if (p < toks.length) fail('the end, &&, or ||');
  return e;
}

/** Step ids a condition reads the exit code of. */
export function referencedSteps(c: Condition): string[] {
  switch (c.kind) {
    case 'exitCode':
      return [c.step];
    case 'not':
      return referencedSteps(c.of);
    case 'and':
    case 'or':
      return [...referencedSteps(c.left), ...referencedSteps(c.right)];
    default:
      return [];
  }
}

/** What a condition sees when its step's needs are done. */
export interface ConditionContext {
  /** Every need succeeded. */
  success: boolean;
  /** Some need failed. */
  failure: boolean;
  /** Exit code of a finished step; undefined for a step that did not run a command. */
  exitCode(step: string): number | undefined;
}

/** Evaluates a parsed condition. An exit-code test of a step that did not run is false. */
export function evaluateCondition(c: Condition, ctx: ConditionContext): boolean {
  switch (c.kind) {
    case 'fn':
      return c.name === 'always' ? true : ctx[c.name];
    case 'not':
      return !evaluateCondition(c.of, ctx);
    case 'and':
      return evaluateCondition(c.left, ctx) && evaluateCondition(c.right, ctx);
    case 'or':
      return evaluateCondition(c.left, ctx) || evaluateCondition(c.right, ctx);
    case 'exitCode': {
      const v = ctx.exitCode(c.step);
      if (v === undefined) return false;
      switch (c.op) {
        case '==': return v === c.value;
        case '!=': return v !== c.value;
        case '<': return v < c.value;
        case '<=': return v <= c.value;
        case '>': return v > c.value;
        case '>=': return v >= c.value;
      }
    }
  }
}
