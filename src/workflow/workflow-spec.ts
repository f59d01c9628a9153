import { z } from 'zod';
import { parseSize } from '../spec/size.js';

/** A host directory or volume mounted into a step's container. */
export interface WorkflowMount {
  /** `bind` (default: a host path, absolute or relative to the workflow file's directory) or `volume`. */
  type: 'bind' | 'volume';
  source: string;
  /** Absolute path in the container. */
  target: string;
  /** Default true: steps read host data unless a mount says `readOnly: false`. */
  readOnly: boolean;
}

export interface WorkflowLimits {
  /** Bytes or a size such as `256m`; default the spec default (512m). */
  memory?: string | number;
  /** CPU cores; default 1. */
  cpus?: number;
  /** Max processes; default 512. */
  pids?: number;
}

/** One step of a workflow, validated, with defaults filled. */
export interface WorkflowStep {
  id: string;
  /** Image of the step's container (one of image / variant). */
  image?: string;
  /** A base image variant by name (resolved by the runner's `resolveVariant`). */
  variant?: string;
  /** argv array, never a shell string. */
  command: string[];
  env: Record<string, string>;
  /** Absolute; default `/workspace`. Relative artifact paths resolve here. */
  workdir: string;
  mounts: WorkflowMount[];
  limits: WorkflowLimits;
  /** ms; default 3600000 (1 h). The command is killed and the step failed after it. */
  timeoutMs: number;
  needs: string[];
  /** The condition's source text; default `success()`. */
  if: string;
  /** A failure of this step does not cancel the rest of the run; default false. */
  continueOnError: boolean;
  /** Absolute container paths (files or directories) exported after the command, handed to every later step that depends on this one. */
  artifacts: string[];
}

/** A validated workflow. */
export interface Workflow {
  name: string;
  /** Steps running at once; default 4. */
  concurrency: number;
  steps: WorkflowStep[];
}

/** Default steps running at once. */
export const DEFAULT_CONCURRENCY = 4;
/** Default step timeout: 1 h. */
export const DEFAULT_STEP_TIMEOUT_MS = 3_600_000;
export const DEFAULT_WORKDIR = '/workspace';

/** `30s`, `2m`, `1h`, `500ms`, or a number of seconds → ms; undefined when it is none of those. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v * 1000) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms'];
  return ms > 0 ? Math.round(ms) : undefined;
}

const noNul = (s: string) => !s.includes('\0');
const text = z.string().refine(noNul, 'must not contain NUL bytes');
const absPath = text.refine((s) => s.startsWith('/'), 'must be an absolute path in the container');
const STEP_ID = /^[a-zA-Z_][a-zA-Z0-9_-]{0,39}$/;

const mountSchema = z.strictObject({
  type: z.enum(['bind', 'volume']).default('bind'),
  source: text.min(1, 'is required'),
  target: absPath,
  readOnly: z.boolean().default(true),
});

const limitsSchema = z.strictObject({
  memory: z.union([z.string(), z.number()]).refine((v) => parseSize(v) !== undefined, 'is not a size (use bytes or e.g. "256m")').optional(),
  cpus: z.number().positive().max(1024).optional(),
  pids: z.number().int().positive().optional(),
});

const stepSchema = z
  .strictObject({
    id: z.string().regex(STEP_ID, 'must start with a letter or _ and use letters, digits, _ or - (up to 40)'),
    image: text.min(1).refine((s) => !/\s/.test(s), 'must not contain white space').optional(),
    variant: z.string().min(1).optional(),
    command: z.array(text).min(1, 'must have at least one element (an argv array, not a shell string)'),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'), z.union([text, z.number(), z.boolean()]).transform(String)).default({}),
    workdir: absPath.default(DEFAULT_WORKDIR),
    mounts: z.array(mountSchema).default([]),
    limits: limitsSchema.default({}),
    timeout: z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, 'is not a duration (e.g. 30s, 5m, 1h, 500ms, or a number of seconds)').optional(),
    needs: z.array(z.string()).default([]),
    if: z.string().min(1).default('success()'),
    continueOnError: z.boolean().default(false),
    artifacts: z.array(absPath).default([]),
  })
  .superRefine((s, ctx) => {
    if (s.image && s.variant) ctx.addIssue({ code: 'custom', path: ['variant'], message: 'give image or variant, not both' });
  });

/** The zod schema of a workflow file's document (YAML → plain data). */
export const workflowSchema = z.strictObject({
  name: z.string().min(1).max(200).default('workflow'),
  /** Default image of steps that give neither image nor variant. */
  image: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).default(DEFAULT_CONCURRENCY),
  steps: z.array(stepSchema).min(1, 'needs at least one step'),
});

export type WorkflowDocument = z.output<typeof workflowSchema>;

/** Fills the step defaults the schema leaves for later (timeout in ms, the workflow's image). */
export function toWorkflow(doc: WorkflowDocument): Workflow {
  return {
    name: doc.name,
    concurrency: doc.concurrency,
    steps: doc.steps.map(({ timeout, ...s }) => ({
      ...s,
      ...(s.image || s.variant ? {} : doc.image ? { image: doc.image } : {}),
      timeoutMs: timeout === undefined ? DEFAULT_STEP_TIMEOUT_MS : (parseDuration(timeout) as number),
    })),
  };
}
