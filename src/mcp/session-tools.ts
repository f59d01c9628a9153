import { z } from 'zod';
import { SESSION_STATES, type SessionState } from '../session/session.js';
import type { CreateSessionRequest } from '../session/create-request.js';
import { sessionSummary, sessionSummarySchema } from './session-summary.js';
import { defineTool, type BerthTool } from './tool.js';

/** Default and cap of the bytes `exec` keeps of each stream: 1 MiB and 32 MiB. */
export const EXEC_OUTPUT_DEFAULT = 1024 * 1024;
const EXEC_OUTPUT_MAX = 32 * 1024 * 1024;

const session = z.string().min(1).describe('The session, by id (s-…) or name');
const stringMap = z.record(z.string(), z.string());

const sampleSchema = z.object({
  at: z.string(),
  cpuPercent: z.number().describe('% of one core over the last sampling interval'),
  memoryBytes: z.number(),
  memoryLimitBytes: z.number().describe('0: unlimited'),
  memoryPercent: z.number(),
  netRxBytes: z.number(),
  netTxBytes: z.number(),
  blockReadBytes: z.number(),
  blockWriteBytes: z.number(),
  pids: z.number(),
});

const execRecordSchema = z.object({ at: z.string(), cmd: z.array(z.string()), exitCode: z.number(), durationMs: z.number(), timedOut: z.boolean() });

const createSession = defineTool({
  name: 'create_session',
  title: 'Create a sandbox session',
  description:
    'Starts a sandbox: a container with hardened defaults unless given otherwise (no network, a minimal set of capabilities, no privilege escalation, 512m memory, 1 CPU, 512 processes). ' +
    'Returns the session; pass its id (or name) to the other tools. The sandbox keeps running until end_session, its ttlMs, or its idleTimeoutMs.',
  annotations: { destructiveHint: false, openWorldHint: false },
  input: z.strictObject({
    name: z.string().optional().describe('Unique name (letters, digits, _ . -; up to 63); default s-<id>'),
    image: z.string().min(1).optional().describe("Image to run; default the template's image"),
    variant: z
      .enum(['ubuntu', 'alpine'])
      .optional()
      .describe("One of berth's base images instead of image: ubuntu (full development image: git, curl, build tools, python3; user berth) or alpine (light); built on first use"),
    template: z.string().min(1).optional().describe('A template of the berth configuration; default "default"'),
    command: z.array(z.string()).min(1).optional().describe('Main process as an argv array; default keeps the sandbox idle (sleep)'),
    memory: z.union([z.string(), z.number()]).optional().describe('Memory limit: bytes, or a size such as "512m" or "2g"; default 512m'),
    cpus: z.number().positive().optional().describe('CPU cores, fractions allowed; default 1'),
    env: stringMap.optional().describe('Environment of the main process and of every exec'),
    secretEnv: stringMap
      .optional()
      .describe('Secret environment (API keys, tokens): reaches the processes like env, but every result, log and record shows only its names, values as ***'),
    labels: stringMap.optional().describe('Labels on the session and its container'),
    network: z
      .enum(['none', 'isolated', 'bridge'])
      .optional()
      .describe("none (default): no network at all; isolated: a network of the session's own with no route out; bridge: the engine's default bridge network (outbound access)"),
    mounts: z
      .array(
        z.strictObject({
          source: z.string().min(1).describe('Absolute host path'),
          target: z.string().min(1).describe('Absolute path in the sandbox'),
          readOnly: z.boolean().default(true).describe('Default true'),
        }),
      )
      .optional()
      .describe('Host directories bound into the sandbox, read-only unless readOnly is false; only under the roots the operator allows (config mounts.untrustedRoots), none by default'),
    baseDir: z.string().optional().describe('Absolute sandbox directory that relative file paths resolve against and that file tools are confined to; default /workspace'),
    ttlMs: z.number().int().positive().optional().describe('End the session this many ms after creation'),
    idleTimeoutMs: z.number().int().positive().optional().describe('End the session after this many ms without exec'),
    security: z
      .enum(['standard', 'strict'])
      .optional()
      .describe('standard (default): hardened defaults. strict: read-only root filesystem (only /tmp and the base dir writable, as size-capped tmpfs), no capabilities, a non-root user (65534), at most 256 processes, no network'),
  }),
  output: sessionSummarySchema,
  run: async (b, a) => {
    const spec: NonNullable<CreateSessionRequest['spec']> = {
      ...(a.command ? { cmd: a.command } : {}),
      ...(a.mounts ? { mounts: a.mounts.map((m) => ({ type: 'bind' as const, source: m.source, target: m.target, readOnly: m.readOnly })) } : {}),
    };
    const { command: _command, mounts: _mounts, ...request } = a;
    return sessionSummary(await b.sessions.create({ ...request, ...(Object.keys(spec).length ? { spec } : {}) }, { trust: 'untrusted' }));
  },
});

const exec = defineTool({
  name: 'exec',
  title: 'Run a command in a session',
  description:
    'Runs a command to completion in a running session and returns its stdout, stderr (UTF-8 text) and exit code. ' +
    'cmd is an argv array, not a shell string: use ["sh", "-c", "…"] for shell syntax. ' +
    'A command still running after timeoutMs is killed and timedOut is true.',
  annotations: { destructiveHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    cmd: z.array(z.string()).min(1, 'must have at least one element (an argv array, not a shell string)').describe('argv, e.g. ["ls", "-la"]'),
    env: stringMap.optional().describe('Extra environment, over the session\'s'),
    workdir: z.string().optional().describe('Working directory; default the session\'s exec default, else its baseDir'),
    user: z.string().optional().describe('uid, uid:gid or a user name of the image'),
    stdin: z.string().optional().describe('Text written to the command\'s stdin, then closed'),
    timeoutMs: z.number().int().positive().optional().describe('Kill the command after this many ms; default the server\'s (10 minutes)'),
    maxOutputBytes: z.number().int().positive().max(EXEC_OUTPUT_MAX).default(EXEC_OUTPUT_DEFAULT).describe('Bytes kept of each stream; default 1 MiB, at most 32 MiB; beyond, truncated is true'),
  }),
  output: z.object({
    exitCode: z.number(),
    stdout: z.string(),
    stderr: z.string(),
    timedOut: z.boolean(),
    truncated: z.boolean().describe('A stream passed maxOutputBytes and was cut'),
    durationMs: z.number(),
  }),
  run: async (b, { session: id, ...options }) => {
    const r = await b.sessions.exec(id, options);
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, truncated: r.truncated, durationMs: r.durationMs };
  },
});

const forkSession = defineTool({
  name: 'fork_session',
  title: 'Fork a session',
  description: "Makes a new running session from a snapshot of this one's filesystem, with the same image, limits, env and labels. The original keeps running.",
  annotations: { destructiveHint: false, openWorldHint: false },
  input: z.strictObject({ session, name: z.string().optional().describe('Name of the new session; default s-<id>') }),
  output: sessionSummarySchema,
  run: async (b, a) => sessionSummary(await b.sessions.fork(a.session, { ...(a.name ? { name: a.name } : {}), trust: 'untrusted' })),
});

const endSession = defineTool({
  name: 'end_session',
  title: 'End a session',
  description: 'Stops and removes the session\'s container and everything in it (export files first). The session is then listed as ended.',
  annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
  input: z.strictObject({ session }),
  output: sessionSummarySchema,
  run: async (b, a) => sessionSummary(await b.sessions.remove(a.session)),
});

const listSessions = defineTool({
  name: 'list_sessions',
  title: 'List sessions',
  description: 'Sessions of this berth: by default the live ones (not ended, failed or lost).',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    all: z.boolean().default(false).describe('Include ended, failed and lost sessions'),
    state: z.enum(SESSION_STATES as [SessionState, ...SessionState[]]).optional().describe('Only sessions in this state'),
    labels: stringMap.optional().describe('Only sessions with all these labels'),
  }),
  output: z.object({ sessions: z.array(sessionSummarySchema) }),
  run: async (b, a) => ({
    sessions: (await b.sessions.list({ all: a.all, ...(a.state ? { state: a.state } : {}), ...(a.labels ? { labels: a.labels } : {}) })).map(sessionSummary),
  }),
});

const sessionStats = defineTool({
  name: 'session_stats',
  title: 'Resource use of a session',
  description:
    'The session, its newest resource sample (CPU, memory, network, block I/O, processes; null until the sampler has read it twice, a few seconds after start) ' +
    'and the commands run in it (how many of the newest 100, and the last one).',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({ session }),
  output: z.object({
    session: sessionSummarySchema,
    usage: sampleSchema.nullable(),
    execs: z.object({ recorded: z.number().describe('Commands in the history (the newest 100 are kept)'), last: execRecordSchema.nullable() }),
  }),
  run: async (b, a) => {
    const s = await b.sessions.get(a.session);
    const [sample, history] = await Promise.all([b.newestSample(s.id), b.sessions.history(s.id)]);
    const last = history[0];
    return {
      session: sessionSummary(s),
      usage: sample ? { at: sample.at, cpuPercent: sample.cpuPercent, memoryBytes: sample.memoryBytes, memoryLimitBytes: sample.memoryLimitBytes, memoryPercent: sample.memoryPercent, netRxBytes: sample.netRxBytes, netTxBytes: sample.netTxBytes, blockReadBytes: sample.blockReadBytes, blockWriteBytes: sample.blockWriteBytes, pids: sample.pids } : null,
      execs: { recorded: history.length, last: last ? { at: last.at, cmd: last.cmd, exitCode: last.exitCode, durationMs: last.durationMs, timedOut: last.timedOut } : null },
    };
  },
});

/** Tools over sessions: create, exec, fork, end, list, stats. */
export const SESSION_TOOLS: readonly BerthTool[] = [createSession, exec, forkSession, endSession, listSessions, sessionStats];
