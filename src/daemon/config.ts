import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { mountPolicySchema } from '../security/mount-policy.js';
import { BerthError, invalidArgument } from '../common/errors.js';
import { defaultDataDir, defaultSocketPath } from '../common/paths.js';
import { alertRulesSchema } from '../monitor/alert-rules.js';
import { problemsFromZod } from '../spec/validate.js';
import { cleanupPolicySchema } from '../volume/cleanup-policy.js';
import { auditLimitsSchema } from '../store/audit-limits.js';
import { DEFAULT_SECRET_ENV_PATTERNS } from '../session/secret-env.js';
import { isLoopback, readTokenFile } from './token-file.js';

export const daemonConfigSchema = z.strictObject({
  /** `auto`, `docker` or `podman`. */
  engine: z.enum(['auto', 'docker', 'podman']),
  /** Engine socket; default: detected. */
  engineSocket: z.string().optional(),
  /** Backend of sessions that name none: `engine` (default) or `local` (host directories, no engine needed). */
  backend: z.enum(['engine', 'local']),
  /** `local`: with no engine, start anyway and make sessions on the local backend (warned, counted). Default `none`. */
  fallback: z.enum(['local', 'none']),
  /** Parent of local sandboxes' directories; default `<dataDir>/local`. */
  localRoot: z.string().startsWith('/', 'must be an absolute path').optional(),
  dataDir: z.string().startsWith('/', 'must be an absolute path'),
  /** The API's unix socket (mode 0600). */
  socket: z.string().startsWith('/', 'must be an absolute path'),
  /**
   * Group whose members may use the unix socket (then its directory is 0750 and the socket
   * 0660, both of that group); default none: 0700 and 0600. Members are root-equivalent.
   */
  socketGroup: z.string().regex(/^[a-z_][a-z0-9_-]*$|^\d+$/, 'must be a group name or gid').optional(),
  /**
   * Optional TCP listener, `host:port`; needs `token`. A host other than loopback also
   * needs TLS (`tlsCert`/`tlsKey`), or `insecureTcp: true`.
   */
  tcp: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:]+):\d{1,5}$/, 'must be host:port').optional(),
  /** Bearer token for TCP (at least 16 characters): from `tokenFile`, `BERTH_TOKEN` or the config file, never argv. */
  /** Host names the dashboard answers to on TCP besides IP literals and `localhost` (DNS rebinding protection). */
  uiHosts: z.array(z.string().min(1)).optional(),
  token: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A file (mode 0600 or stricter) holding the TCP token; read at start. */
  tokenFile: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** PEM certificate (chain) for TLS on TCP; with `tlsKey`. */
  tlsCert: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** PEM private key for TLS on TCP (mode 0600 or stricter); with `tlsCert`. */
  tlsKey: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** Serve plain HTTP on a non-loopback TCP address anyway (the token and archives cross the network in clear). Default false. */
  insecureTcp: z.boolean(),
  /** Bounds of the audit log (see `AuditLimits`). */
  audit: auditLimitsSchema,
  /**
   * Environment variable names whose values are secret in every session (globs, `*` any
   * run of characters, case-insensitive). Default `*_TOKEN`, `*_KEY`, `*_SECRET`, `*PASSWORD*`.
   */
  secretEnvPatterns: z.array(z.string().regex(/^[A-Za-z0-9_*]+$/, 'may use letters, digits, _ and *')),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** How often TTL and idle timeouts are checked, ms (default 5000). */
  sweepIntervalMs: z.number().int().positive(),
  /** Labelled containers without a live session are removed after this, ms (default 60000). */
  orphanGraceMs: z.number().int().min(0),
  /** Keep-alive ping interval of shell/attach WebSockets, ms (default 30000); idle shells are never closed. */
  terminalPingMs: z.number().int().min(50),
  /** Resource sampling interval, ms (default 5000). */
  sampleIntervalMs: z.number().int().min(100),
  /** `auto` (cgroup files, else the engine's stats API), `cgroup` or `api`. */
  sampleSource: z.enum(['auto', 'cgroup', 'api']),
  /** Raw samples kept, ms (default one day). */
  sampleRetentionMs: z.number().int().positive(),
  /** Per-minute rollups kept, ms (default 30 days). */
  rollupRetentionMs: z.number().int().positive(),
  /** Alert rules over the defaults (CPU > 95 % for 60 s, memory > 90 % for 30 s). */
  alerts: alertRulesSchema,
  /** Alert rules per template, over `alerts`; a session's own come last. */
  templateAlerts: z.record(z.string(), alertRulesSchema),
  /** Session templates (partial container specs) by name. */
  templates: z.record(z.string(), z.record(z.string(), z.unknown())),
  /**
   * Bind mount policy: `allowRoots` (every caller binds only under these host dirs),
   * `untrustedRoots` (the only host dirs MCP tools, workflow files and untrusted requests
   * may bind; default none) and more `deny`ed paths. The data dir and the socket's
   * directory are always denied.
   */
  mounts: mountPolicySchema,
  /** Trust of requests on the TCP listener: `operator` (default, the token holder) or `untrusted` (they get the untrusted callers' rules). */
  tcpTrust: z.enum(['operator', 'untrusted']),
  /**
   * Volume cleanup: `onSessionEnd` (default true: a session's workspace and logs volumes go
   * with it), `unusedForMs` (default 7 days), `olderThanMs` (default off), `maxTotalBytes`
   * (default off: over it, the longest unused go first). Volumes in use are never removed.
   */
  volumes: cleanupPolicySchema,
  /** How often the daemon runs volume gc, ms (default 600000, 10 min); 0: never on its own. */
  volumeGcIntervalMs: z.number().int().min(0),
})
  .refine((c) => !c.tcp || c.token, { message: 'a TCP listener needs a token (tokenFile, or BERTH_TOKEN)', path: ['token'] })
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), { message: 'tlsCert and tlsKey go together', path: ['tlsKey'] })
  .refine((c) => !c.tcp || c.tlsCert !== undefined || c.insecureTcp || isLoopback(c.tcp), {
    message: 'plain TCP is for loopback only: give tlsCert and tlsKey (--tls-cert/--tls-key), listen on 127.0.0.1, or pass --insecure-tcp',
    path: ['tcp'],
  });

export type DaemonConfig = z.infer<typeof daemonConfigSchema>;

export type DaemonFlags = Partial<
  Pick<DaemonConfig, 'engine' | 'engineSocket' | 'backend' | 'fallback' | 'dataDir' | 'socket' | 'socketGroup' | 'tcp' | 'tokenFile' | 'tlsCert' | 'tlsKey' | 'insecureTcp' | 'logLevel'>
> & {
  config?: string;
};

/**
 * Embedded defaults ← config file (`--config`, `BERTH_CONFIG`, or `<dataDir>/config.json`)
 * ← environment (`BERTH_ENGINE`, `BERTH_ENGINE_HOST`, `BERTH_BACKEND`, `BERTH_FALLBACK`, `BERTH_DATA_DIR`, `BERTH_SOCKET`,
 * `BERTH_TCP`, `BERTH_TOKEN`, `BERTH_TOKEN_FILE`, `BERTH_TLS_CERT`, `BERTH_TLS_KEY`, `BERTH_LOG_LEVEL`) ← flags.
 * A `tokenFile` is read here (`token` wins when both are set). Throws `InvalidArgument` listing every problem.
 */
export function loadConfig(flags: DaemonFlags = {}, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const defaults = {
    engine: 'auto',
    backend: 'engine',
    fallback: 'none',
    dataDir: defaultDataDir(env),
    socket: defaultSocketPath(env),
    logLevel: 'info',
    sweepIntervalMs: 5000,
    orphanGraceMs: 60_000,
    terminalPingMs: 30_000,
    sampleIntervalMs: 5000,
    sampleSource: 'auto',
    sampleRetentionMs: 86_400_000,
    rollupRetentionMs: 30 * 86_400_000,
    alerts: {},
    templateAlerts: {},
    templates: {},
    mounts: {},
    tcpTrust: 'operator',
    volumes: {},
    volumeGcIntervalMs: 600_000,
    insecureTcp: false,
    audit: {},
    secretEnvPatterns: DEFAULT_SECRET_ENV_PATTERNS,
  };
  const fromEnv = Object.fromEntries(
    Object.entries({
      engine: env.BERTH_ENGINE,
      engineSocket: env.BERTH_ENGINE_HOST,
      backend: env.BERTH_BACKEND,
      fallback: env.BERTH_FALLBACK,
      dataDir: env.BERTH_DATA_DIR,
      socket: env.BERTH_SOCKET,
      tcp: env.BERTH_TCP,
      token: env.BERTH_TOKEN,
      tokenFile: env.BERTH_TOKEN_FILE,
      tlsCert: env.BERTH_TLS_CERT,
      tlsKey: env.BERTH_TLS_KEY,
      logLevel: env.BERTH_LOG_LEVEL,
    }).filter(([, v]) => v !== undefined && v !== ''),
  );
  const { config: configPath, ...flagValues } = flags;
  const cleanFlags = Object.fromEntries(Object.entries(flagValues).filter(([, v]) => v !== undefined));
  const dataDir = (cleanFlags.dataDir ?? fromEnv.dataDir ?? defaults.dataDir) as string;
  const file = configPath ?? env.BERTH_CONFIG ?? join(dataDir, 'config.json');
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new BerthError('InvalidArgument', `config file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  } else if (configPath) {
    throw new BerthError('NotFound', `config file ${configPath} does not exist`);
  }
  const merged: Record<string, unknown> = { ...defaults, ...fromFile, ...fromEnv, ...cleanFlags };
  if (merged.token === undefined && typeof merged.tokenFile === 'string' && merged.tokenFile.startsWith('/')) merged.token = readTokenFile(merged.tokenFile);
  const r = daemonConfigSchema.safeParse(merged);
  if (!r.success) throw invalidArgument(problemsFromZod(r.error), 'daemon configuration');
  return r.data;
}
