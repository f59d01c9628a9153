import { z } from 'zod';
import { invalidArgument, type FieldProblem } from '../common/errors.js';
import { LABELS } from '../common/labels.js';
import type { ContainerSpec } from './container-spec.js';
import { parseSize } from './size.js';
import { TRUST_LABEL } from '../security/trust.js';

/** Linux capability names accepted in capAdd/capDrop (without the `CAP_` prefix), plus `ALL`. */
export const CAPABILITIES = new Set([
  'ALL', 'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN',
  'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE',
  'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST',
  'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT',
  'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME',
  'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
]);

const MIN_MEMORY = 6 * 1024 * 1024;
const NO_NUL = (s: string) => !s.includes('\0');

const text = z.string().refine(NO_NUL, 'must not contain NUL bytes');
const absPath = text.refine((s) => s.startsWith('/'), 'must be an absolute path');
const argv = z.array(text).min(1, 'must have at least one element (an argv array, not a shell string)');
const size = (what: string) =>
  z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size (use bytes or e.g. "512m")` });
    else if (what === 'memory' && bytes < MIN_MEMORY) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is below the 6m minimum` });
  });
const cap = z.string().refine((c) => CAPABILITIES.has(c.toUpperCase().replace(/^CAP_/, '')), {
  message: 'is not a Linux capability',
});
const positiveMs = z.number().int().positive();

export const portSchema = z.strictObject({
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(0).max(65535).optional(),
  hostIp: z.string().optional(),
  protocol: z.enum(['tcp', 'udp']).optional(),
});

export const mountSchema = z
  .strictObject({
    type: z.enum(['bind', 'volume', 'tmpfs']),
    source: text.optional(),
    target: absPath,
    readOnly: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type === 'tmpfs' && m.source) ctx.addIssue({ code: 'custom', path: ['source'], message: 'tmpfs mounts take no source' });
    if (m.type !== 'tmpfs' && !m.source) ctx.addIssue({ code: 'custom', path: ['source'], message: `${m.type} mounts need a source` });
    if (m.type === 'bind' && m.source && !m.source.startsWith('/')) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'a bind source must be an absolute host path' });
    }
  });

/** The zod schema of a ContainerSpec; the HTTP API reuses it. */
export const containerSpecSchema = z.strictObject({
  image: text.min(1, 'is required').refine((s) => !/\s/.test(s), 'must not contain white space'),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'may use letters, digits, _ . - and must start with a letter or digit').max(128).optional(),
  cmd: argv.optional(),
  entrypoint: z.array(text).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid variable name'), text).optional(),
  workdir: absPath.optional(),
  user: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'must be uid, uid:gid or a name').optional(),
  hostname: z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})$/, 'is not a valid hostname').optional(),
  labels: z
    .record(z.string().min(1), z.string())
    .refine((l) => !(LABELS.managed in l) && !(LABELS.instance in l) && !(TRUST_LABEL in l), `${LABELS.managed}, ${LABELS.instance} and ${TRUST_LABEL} are set by berth`)
    .optional(),
  memory: size('memory').optional(),
  memorySwap: z.union([z.literal(-1), size('memorySwap')]).optional(),
  cpus: z.number().positive('must be more than 0').max(1024).optional(),
  pidsLimit: z.number().int().positive('must be a positive whole number').optional(),
  network: z.string().min(1).optional(),
  networkAliases: z.array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'is not a valid alias')).optional(),
  dns: z.array(z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' })).optional(),
  ports: z.array(portSchema).optional(),
  mounts: z.array(mountSchema).optional(),
  tmpfs: z.record(absPath, z.string()).optional(),
  readOnlyRootfs: z.boolean().optional(),
  capAdd: z.array(cap).optional(),
  capDrop: z.array(cap).optional(),
  securityOpt: z.array(z.string().min(1)).optional(),
  privileged: z.boolean().optional(),
  init: z.boolean().optional(),
  tty: z.boolean().optional(),
  openStdin: z.boolean().optional(),
  restartPolicy: z
    .strictObject({
      name: z.enum(['no', 'on-failure', 'always', 'unless-stopped']),
      maxRetries: z.number().int().min(0).optional(),
    })
    .refine((r) => r.maxRetries === undefined || r.name === 'on-failure', 'maxRetries goes only with on-failure')
    .optional(),
  healthcheck: z
    .strictObject({
      cmd: argv,
      intervalMs: positiveMs.optional(),
      timeoutMs: positiveMs.optional(),
      retries: z.number().int().min(0).optional(),
      startPeriodMs: z.number().int().min(0).optional(),
    })
    .optional(),
  userns: z.literal('auto').optional(),
  runtime: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'is not a runtime name').optional(),
  log: z.strictObject({ maxSize: size('log.maxSize'), maxFiles: z.number().int().min(1).max(100) }).optional(),
});

/** Turns zod issues into field problems (`memory: "12zb" is not a size`). */
export function problemsFromZod(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Returns every problem in a spec, each with its field path; empty when valid. */
export function validateSpec(spec: unknown): FieldProblem[] {
  const r = containerSpecSchema.safeParse(spec);
  const s = spec as Partial<ContainerSpec> | null;
  const swapIsDefault = s?.memorySwap !== undefined && s.memorySwap === s.memory;
  const problems = r.success ? [] : problemsFromZod(r.error).filter((p) => !(swapIsDefault && p.path === 'memorySwap'));
  if (r.success && s?.memory !== undefined && s.memorySwap !== undefined && s.memorySwap !== -1) {
    const mem = parseSize(s.memory);
    const swap = parseSize(s.memorySwap);
    if (mem !== undefined && swap !== undefined && swap < mem) {
      problems.push({ path: 'memorySwap', message: 'must be at least memory (it counts memory plus swap), or -1' });
    }
  }
  if (r.success && s?.networkAliases?.length && ['none', 'bridge', 'host', undefined].includes(s.network)) {
    problems.push({ path: 'networkAliases', message: 'need a user-defined network (set network to its name)' });
  }
  return problems;
}

/** Throws `InvalidArgument` with every problem, or returns the spec typed. */
export function assertValidSpec(spec: unknown): ContainerSpec {
  const problems = validateSpec(spec);
  if (problems.length) throw invalidArgument(problems, 'container spec');
  return spec as ContainerSpec;
}
