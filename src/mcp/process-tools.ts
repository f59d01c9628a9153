import { z } from 'zod';
import { defineTool, type BerthTool } from './tool.js';

const session = z.string().min(1).describe('The session, by id (s-…) or name');
const id = z.string().regex(/^p?\d{1,10}$/).describe('The process handle, e.g. p123');
/** Bytes of each stream `process_output` returns at most: 1 MiB (the agent keeps the last 1 MiB). */
const OUTPUT_MAX = 1024 * 1024;

const processSchema = z.object({
  id: z.string(),
  pid: z.number(),
  cmd: z.string(),
  running: z.boolean(),
  exitCode: z.number().optional(),
  terminal: z.boolean(),
});

const startProcess = defineTool({
  name: 'start_process',
  title: 'Start a background process in a session',
  description:
    'Starts a command in the background, kept by the session agent, and returns its handle at once (servers, watchers, long builds). ' +
    'Follow it with process_output, wait_process, signal_process, write_process_stdin; it keeps running when nobody listens (its last 1 MiB of output is kept).',
  annotations: { destructiveHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    cmd: z.array(z.string()).min(1, 'must have at least one element (an argv array, not a shell string)').describe('argv, e.g. ["sh", "-c", "make 2>&1"]'),
    env: z.record(z.string(), z.string()).optional(),
    workdir: z.string().optional(),
    user: z.string().optional(),
    stdin: z.boolean().optional().describe('Keep stdin open for write_process_stdin; default false (stdin is /dev/null)'),
  }),
  output: processSchema,
  run: async (b, { session: s, ...o }) => b.processes.start(s, o),
});

const listProcesses = defineTool({
  name: 'list_processes',
  title: "List a session's background processes",
  description: 'Background processes of a session: running ones, and ended ones not yet waited for.',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({ session }),
  output: z.object({ processes: z.array(processSchema) }),
  run: async (b, a) => ({ processes: await b.processes.list(a.session) }),
});

const waitProcess = defineTool({
  name: 'wait_process',
  title: 'Wait for a background process',
  description: 'Waits until the process ends (an error after timeoutMs, the process keeps running) and returns its exit code; the handle is then forgotten.',
  annotations: { readOnlyHint: false, openWorldHint: false },
  input: z.strictObject({ session, id, timeoutMs: z.number().int().positive().max(3_600_000).default(60_000).describe('Default 60000') }),
  output: processSchema,
  run: async (b, a) => b.processes.wait(a.session, a.id, { timeoutMs: a.timeoutMs }),
});

const signalProcess = defineTool({
  name: 'signal_process',
  title: 'Signal a background process',
  description: "Sends a signal to the process's whole group: TERM (default), KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT, or a number.",
  annotations: { destructiveHint: true, openWorldHint: false },
  input: z.strictObject({ session, id, signal: z.union([z.string().max(16), z.number().int()]).optional() }),
  output: z.object({ ok: z.boolean() }),
  run: async (b, a) => {
    await b.processes.signal(a.session, a.id, a.signal);
    return { ok: true };
  },
});

const writeStdin = defineTool({
  name: 'write_process_stdin',
  title: "Write to a background process's stdin",
  description: 'Writes text to the stdin of a process started with stdin: true; eof closes its stdin afterwards.',
  annotations: { destructiveHint: true, openWorldHint: false },
  input: z.strictObject({ session, id, data: z.string().max(1024 * 1024), eof: z.boolean().optional() }),
  output: z.object({ ok: z.boolean() }),
  run: async (b, a) => {
    await b.processes.input(a.session, a.id, a.data, { eof: a.eof ?? false });
    return { ok: true };
  },
});

const processOutput = defineTool({
  name: 'process_output',
  title: "Read a background process's output",
  description:
    'Returns what the process wrote (the last 1 MiB kept while nobody listened, then live output) for up to waitMs, or until it ends; the process keeps running.',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({ session, id, waitMs: z.number().int().min(0).max(30_000).default(200).describe('How long to collect live output; default 200') }),
  output: z.object({ stdout: z.string(), stderr: z.string(), running: z.boolean(), exitCode: z.number().optional(), truncated: z.boolean() }),
  run: async (b, a) => {
    const o = await b.processes.output(a.session, a.id);
    const bufs = { o: [] as Buffer[], e: [] as Buffer[], n: 0, truncated: false };
    const keep = (k: 'o' | 'e') => (d: Buffer) => {
      if (bufs.n + d.length > 2 * OUTPUT_MAX) bufs.truncated = true;
      else {
        bufs[k].push(d);
        bufs.n += d.length;
      }
    };
    o.stdout.on('data', keep('o'));
    o.stderr.on('data', keep('e'));
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([o.exit.catch(() => undefined), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), a.waitMs)))]);
    clearTimeout(timer);
    if (!ended) o.close();
    return {
      stdout: Buffer.concat(bufs.o).toString('utf8'),
      stderr: Buffer.concat(bufs.e).toString('utf8'),
      running: !ended,
      ...(ended?.exitCode !== undefined ? { exitCode: ended.exitCode } : {}),
      truncated: bufs.truncated,
    };
  },
});

export const PROCESS_TOOLS: readonly BerthTool[] = [startProcess, listProcesses, waitProcess, signalProcess, writeStdin, processOutput];
