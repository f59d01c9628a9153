import { posix } from 'node:path';
import { z } from 'zod';
import { BerthError, invalidArgument } from '../common/errors.js';
import { LABELS } from '../common/labels.js';
import { ContainerSpecBuilder } from '../spec/builder.js';
import { healthPolicySchema, type HealthPolicy } from '../health/health-policy.js';
import { alertRulesSchema, type AlertRules } from '../monitor/alert-rules.js';
import type { Backend } from './sandbox.js';
import type { ContainerSpec } from '../spec/container-spec.js';
import { problemsFromZod } from '../spec/validate.js';
import { networkPolicySchema, normalisePolicy, type NetworkPolicyInput } from '../network/network-policy.js';
import { applyProfile, securityProfileSchema, type SecurityProfileName } from '../security/security-profile.js';
import { sessionVolumesSchema, type SessionVolumesRequest } from '../volume/session-volumes.js';
import { IMAGE_VARIANTS, variantTag, type ImageVariant } from '../image/variants.js';
import { ENV_PATTERN } from './secret-env.js';

/** What a caller sends to create a session. Shortcuts (`image`, `memory`, …) override the template and `spec`. */
export interface CreateSessionRequest {
  /** Unique among this daemon's sessions; default `s-<id>`. Letters, digits, `_ . -`. */
  name?: string;
  /** A template from the configuration; default `default`. */
  template?: string;
  image?: string;
  /** One of berth's base images instead of `image` (built on first use): `ubuntu` (full) or `alpine` (light). */
  variant?: ImageVariant;
  /** Bytes or a size such as `512m`. */
  memory?: string | number;
  cpus?: number;
  /** Environment of the main process and every exec. Values of names matching the configured secret patterns are secret. */
  env?: Record<string, string>;
  /**
   * Secret environment: reaches the process like `env`, but the store, the audit log, the
   * daemon's log, `inspect`, events and MCP results only ever show `***` (and the name).
   */
  secretEnv?: Record<string, string>;
  /**
   * Take the daemon's own environment variables whose names match these globs (`*` any
   * run), e.g. `DATABRICKS_*`, as secret values. `BERTH_*` is never taken. The session
   * lists the names taken (`envFromHost.taken`).
   */
  envFromHost?: string[];
  labels?: Record<string, string>;
  /** Any other spec fields. */
  spec?: Partial<ContainerSpec>;
  /** End the session this many ms after creation. */
  ttlMs?: number;
  /** End the session after this many ms without exec. */
  idleTimeoutMs?: number;
  /** The sandbox's base dir, created on start; default `/workspace`. */
  baseDir?: string;
  /** Refuse file paths outside `baseDir`; default true. */
  confine?: boolean;
  /**
   * `engine` (a container) or `local` (a temporary host directory, host processes, no
   * isolation); default the configured one (`engine`). On `local`, baseDir is the
   * sandbox's own directory and confine is always on.
   */
  backend?: Backend;
  /** Overrides of the alert rules (thresholds and durations) for this session. */
  alerts?: Partial<AlertRules>;
  /** What to do when the spec's health check fails (restart with backoff, up to a limit). */
  health?: HealthPolicy;
  /**
   * The session's network policy: `none` (default: only `lo`), `isolated` (an internal
   * network of its own, or `join` another session's), `bridge` (egress allowed), or the
   * object form with `dns` and `aliases`. Leave `spec.network` unset when you use it.
   */
  network?: NetworkPolicyInput;
  /**
   * `standard` (default): the hardened defaults. `strict`: read-only root with tmpfs /tmp
   * and base dir, no capabilities, non-root, pids limit, no swap, no network (see
   * `applyProfile`); a spec asking for what strict forbids is `PolicyDenied`.
   */
  security?: SecurityProfileName;
  /** End the session (remove its container) when its main process exits, as `docker run --rm`; default false. Engine backend only. */
  removeOnExit?: boolean;
  /** Workspace (volume or size-capped tmpfs on `baseDir`), shared cache volumes by key, a logs volume. Engine backend only. */
  volumes?: SessionVolumesRequest;
}

export const createSessionSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'may use letters, digits, _ . - (up to 63), starting with a letter or digit').optional(),
  template: z.string().min(1).optional(),
  image: z.string().min(1).optional(),
  variant: z.enum(IMAGE_VARIANTS).optional(),
  memory: z.union([z.string(), z.number()]).optional(),
  cpus: z.number().optional(),
  env: z.record(z.string(), z.string()).optional(),
  secretEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid variable name'), z.string()).optional(),
  envFromHost: z.array(z.string().regex(ENV_PATTERN, 'may use only letters, digits, _ and *')).max(64).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  ttlMs: z.number().int().positive().optional(),
  idleTimeoutMs: z.number().int().positive().optional(),
  baseDir: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').optional(),
  confine: z.boolean().optional(),
  backend: z.enum(['engine', 'local']).optional(),
  alerts: alertRulesSchema.optional(),
  health: healthPolicySchema.optional(),
  network: networkPolicySchema.optional(),
  security: securityProfileSchema.optional(),
  volumes: sessionVolumesSchema.optional(),
  removeOnExit: z.boolean().optional(),
});

/** Default base dir of a session. */
export const DEFAULT_BASE_DIR = '/workspace';

/** Keeps a sandbox's main process alive when neither template nor request gives a command. */
export const KEEP_ALIVE_CMD = ['sleep', '2147483647'];

/** Validates a request's shape (`InvalidArgument` with every problem; `image` with `variant`, or `network` with `spec.network`, is one). */
export function parseSessionRequest(input: unknown): CreateSessionRequest {
  const r = createSessionSchema.safeParse(input);
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'session request');
  if (r.data.image !== undefined && r.data.variant !== undefined) {
    throw invalidArgument([{ path: 'variant', message: 'cannot be given with image; name one of them' }], 'session request');
  }
  const spec = r.data.spec as Partial<ContainerSpec> | undefined;
  if (r.data.network !== undefined && (spec?.network !== undefined || spec?.networkAliases !== undefined || spec?.dns !== undefined)) {
    throw invalidArgument([{ path: 'spec.network', message: 'set either network (the policy) or spec.network/networkAliases/dns, not both' }], 'session request');
  }
  return r.data as CreateSessionRequest;
}

/**
 * Validates a request and resolves template + overrides into a full spec
 * (hardened defaults filled). Throws `InvalidArgument` with every problem, or
 * `NotFound` for an unknown template.
 */
export function resolveSessionSpec(
  input: unknown,
  templates: Readonly<Record<string, Partial<ContainerSpec>>>,
  variantImage?: string,
): { request: CreateSessionRequest; spec: ContainerSpec } {
  const request = parseSessionRequest(input);
  const templateName = request.template ?? 'default';
  const template = templates[templateName];
  if (!template) {
    throw new BerthError('NotFound', `no template "${templateName}"; known: ${Object.keys(templates).join(', ') || 'none'}`, {
      details: { template: templateName },
    });
  }
  const merged: Partial<ContainerSpec> = {
    ...structuredClone(template),
    ...(request.spec as Partial<ContainerSpec> | undefined),
    ...(request.image !== undefined ? { image: request.image } : {}),
    ...(request.variant !== undefined ? { image: variantImage ?? variantTag(request.variant) } : {}),
    ...(request.memory !== undefined ? { memory: request.memory } : {}),
    ...(request.cpus !== undefined ? { cpus: request.cpus } : {}),
  };
  merged.env = { ...template.env, ...(request.spec?.env as Record<string, string> | undefined), ...request.env, ...request.secretEnv };
  merged.labels = { ...template.labels, ...(request.spec?.labels as Record<string, string> | undefined), ...request.labels };
  if (request.removeOnExit) merged.labels[LABELS.removeOnExit] = 'true';
  merged.cmd ??= KEEP_ALIVE_CMD;
  // A variant image brings tini as its entrypoint: no second init in front of it unless asked.
  if (request.variant !== undefined && request.spec?.init === undefined) merged.init = false;
  delete merged.name;
  if (!merged.image) throw invalidArgument([{ path: 'image', message: `is required (the template "${templateName}" has none)` }], 'session request');
  // The policy's name stands in for the network until the session manager places it, so the profile sees it.
  if (request.network !== undefined) merged.network = normalisePolicy(request.network).policy;
  const secured = applyProfile(merged, request.security ?? 'standard', { workspace: posix.normalize(request.baseDir ?? DEFAULT_BASE_DIR) });
  return { request, spec: ContainerSpecBuilder.from(secured).build() };
}
