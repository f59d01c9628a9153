import { isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { BerthError, type FieldProblem } from '../common/errors.js';
import { ConditionSyntaxError, parseCondition, referencedSteps } from './condition.js';
import { ancestors, findCycles } from './dag.js';
import { toWorkflow, workflowSchema, type Workflow, type WorkflowStep } from './workflow-spec.js';

/** A problem in a workflow file, with where it is (1-based line and column). */
export interface WorkflowProblem extends FieldProblem {
  line: number;
  column: number;
}

export interface ParseWorkflowOptions {
  /** Directory relative bind-mount sources resolve against (the workflow file's); default the current directory. */
  baseDir?: string;
  /** The file's name, for messages. */
  file?: string;
  /** Variant names the runner knows; a step naming another is a problem. Default: none (variants are not available). */
  variants?: readonly string[];
}

type Path = ReadonlyArray<string | number>;

const pathText = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** Finds where a path points in the YAML: the deepest node that exists along it (a key when `key` names one). */
function locate(doc: Document, lines: LineCounter, path: Path, key?: string): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  const steps = key === undefined ? path : [...path, key];
  for (let i = 0; i < steps.length; i++) {
    const k = steps[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === k);
      if (!pair) break;
      const last = i === steps.length - 1 && key !== undefined;
      const target = (last ? pair.key : pair.value ?? pair.key) as Node | null;
      if (target?.range) offset = target.range[0];
      node = last ? pair.key : pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      const item = node.items[k] as Node | undefined;
      if (!item) break;
      if (item.range) offset = item.range[0];
      node = item;
    } else break;
  }
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function zodProblems(error: z.ZodError, doc: Document, lines: LineCounter): WorkflowProblem[] {
  const out: WorkflowProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ path: pathText([...path, k]), ...locate(doc, lines, path, k), message: `unknown field "${k}"` });
    } else {
      out.push({ path: pathText(path), ...locate(doc, lines, path), message: issue.message });
    }
  }
  return out;
}

/** What the graph checks read of a step. */
type GraphStep = Pick<WorkflowStep, 'id' | 'needs' | 'if'> & { image?: string | undefined; variant?: string | undefined };

/**
 * The steps of a document that failed the schema, as far as they can be read, so the
 * graph checks still report their problems: steps without a string id are left out.
 */
function looseSteps(raw: unknown): GraphStep[] {
  const steps = (raw as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.map((s: unknown) => {
    const r = (s ?? {}) as Record<string, unknown>;
    return {
      id: typeof r.id === 'string' ? r.id : '',
      needs: Array.isArray(r.needs) ? r.needs.filter((n): n is string => typeof n === 'string') : [],
      if: typeof r.if === 'string' && r.if ? r.if : 'success()',
      image: 'unchecked',
    };
  });
}

/** Graph and condition checks: ids, needs, cycles, conditions, variants. */
function graphProblems(wf: { steps: GraphStep[] }, doc: Document, lines: LineCounter, o: ParseWorkflowOptions): WorkflowProblem[] {
  const out: WorkflowProblem[] = [];
  const at = (path: Path, message: string) => out.push({ path: pathText(path), ...locate(doc, lines, path), message });
  const index = new Map<string, number>();
  wf.steps.forEach((s, i) => {
    if (!s.id) return;
    const first = index.get(s.id);
    if (first !== undefined) at(['steps', i, 'id'], `duplicate step id "${s.id}" (first at steps[${first}])`);
    else index.set(s.id, i);
  });
  const graph = new Map<string, string[]>();
  wf.steps.forEach((s, i) => {
    if (index.get(s.id) !== i) return;
    graph.set(s.id, s.needs.filter((n) => index.has(n)));
    s.needs.forEach((n, j) => {
      if (n === s.id) at(['steps', i, 'needs', j], `step "${s.id}" needs itself`);
      else if (!index.has(n)) at(['steps', i, 'needs', j], `unknown step "${n}"; known: ${[...index.keys()].join(', ')}`);
    });
    if (!s.image && !s.variant) at(['steps', i], `step "${s.id}" needs an image (or a variant, or a workflow-level image)`);
    if (s.variant && !(o.variants ?? []).includes(s.variant)) {
      at(['steps', i, 'variant'], o.variants?.length ? `unknown variant "${s.variant}"; known: ${o.variants.join(', ')}` : 'variants are not available in this berth; give an image');
    }
  });
  const cycles = findCycles(new Map([...graph].map(([k, v]) => [k, v.filter((n) => n !== k)])));
  for (const c of cycles) at(['steps', index.get(c[0]!)!, 'needs'], `cycle: ${c.join(' → ')}`);
  wf.steps.forEach((s, i) => {
    let cond;
    try {
      cond = parseCondition(s.if);
    } catch (err) {
      if (!(err instanceof ConditionSyntaxError)) throw err;
      at(['steps', i, 'if'], `bad condition "${s.if}" at character ${err.offset + 1}: ${err.message}`);
      return;
    }
    const before = ancestors(graph, s.id);
    for (const ref of referencedSteps(cond)) {
      if (!index.has(ref)) at(['steps', i, 'if'], `condition refers to unknown step "${ref}"`);
      else if (!before.has(ref)) at(['steps', i, 'if'], `condition reads steps.${ref}.exitCode but "${s.id}" does not need "${ref}" (add it to needs)`);
    }
  });
  return out;
}

/**
 * Parses and validates a workflow file (YAML). Every problem—YAML syntax, schema, duplicate
 * ids, unknown needs, cycles, bad conditions—comes back at once as `InvalidArgument` with
 * `details.problems: [{ path, line, column, message }]`. Relative bind sources are resolved
 * against `baseDir`.
 */
export function parseWorkflow(source: string, o: ParseWorkflowOptions = {}): Workflow {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let problems: WorkflowProblem[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { path: '', line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
  });
  let wf: Workflow | undefined;
  if (!problems.length) {
    const raw: unknown = doc.toJS() ?? {};
    const r = workflowSchema.safeParse(raw);
    if (!r.success) {
      problems = zodProblems(r.error, doc, lines);
      const seen = new Set(problems.map((p) => p.path));
      problems.push(...graphProblems({ steps: looseSteps(raw) }, doc, lines, o).filter((p) => !seen.has(p.path)));
    } else {
      wf = toWorkflow(r.data);
      problems = graphProblems(wf, doc, lines, o);
    }
  }
  if (problems.length || !wf) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    const where = o.file ?? 'workflow';
    const list = problems.map((p) => `${where}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n  ');
    throw new BerthError('InvalidArgument', `invalid workflow (${problems.length} problem${problems.length === 1 ? '' : 's'}), fix and run again:\n  ${list}`, {
      details: { problems, ...(o.file ? { file: o.file } : {}) },
    });
  }
  const baseDir = o.baseDir ?? process.cwd();
  for (const s of wf.steps) {
    // Joined, not normalised: `link/..` must reach the mount policy as written, which resolves it as the kernel does.
    for (const m of s.mounts) if (m.type === 'bind' && !isAbsolute(m.source)) m.source = [resolve(baseDir).replace(/\/$/, ''), ...m.source.split('/').filter((c) => c !== '' && c !== '.')].join('/') || '/';
  }
  return wf;
}
