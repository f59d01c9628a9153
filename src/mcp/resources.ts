import type { Readable } from 'node:stream';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { McpBackend } from './mcp-backend.js';
import { sessionSummary } from './session-summary.js';

/** Log lines a logs resource shows without `?tail=`: 100; at most 10000. */
export const LOGS_DEFAULT_TAIL = 100;
const LOGS_MAX_TAIL = 10_000;

const JSON_MIME = 'application/json';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads go wrong as JSON-RPC errors (resources have no error result): `<code>: <message>`, berth's code in `data`. */
async function guarded(log: Logger, uri: URL, read: () => Promise<ReadResourceResult>): Promise<ReadResourceResult> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof BerthError)) log.error({ err, uri: uri.href }, 'resource read failed unexpectedly');
    const e = BerthError.from(err);
    const rpc = e.code === 'NotFound' || e.code === 'InvalidArgument' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    throw new McpError(rpc, `${e.code}: ${e.message}`, { code: e.code, details: e.details });
  }
}

function tailOf(raw: string | string[] | undefined): number {
  if (raw === undefined) return LOGS_DEFAULT_TAIL;
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isInteger(n) || n < 0 || n > LOGS_MAX_TAIL) {
    throw new BerthError('InvalidArgument', `tail must be a whole number of lines from 0 to ${LOGS_MAX_TAIL}, not "${String(raw)}"`, {
      details: { problems: [{ path: 'tail', message: `must be 0…${LOGS_MAX_TAIL}` }] },
    });
  }
  return n;
}

/**
 * `berth://sessions`: the live sessions. `berth://sessions/{session}/logs`: the last
 * lines the session's main process wrote (`?tail=N` for another count), listed per live session.
 */
export function registerResources(server: McpServer, backend: McpBackend, log: Logger): void {
  server.registerResource(
    'sessions',
    'berth://sessions',
    { title: 'Sessions', description: 'The live sessions (not ended, failed or lost) as JSON', mimeType: JSON_MIME },
    (uri) =>
      guarded(log, uri, async () => {
        const sessions = (await backend.sessions.list()).map(sessionSummary);
        return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify({ sessions }) }] };
      }),
  );

  const readLogs = (uri: URL, vars: Record<string, string | string[]>) =>
    guarded(log, uri, async () => {
      const tail = tailOf(vars.tail);
      const id = String(vars.session);
      const logs = await backend.sessions.logs(decodeURIComponent(id), { tail });
      const [stdout, stderr] = await Promise.all([text(logs.stdout), text(logs.stderr)]);
      return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify({ session: id, tail, stdout, stderr }) }] };
    });
  const logsMeta = {
    title: 'Session logs',
    description: `What the session's main process wrote: {session, tail, stdout, stderr} as JSON, the last ${LOGS_DEFAULT_TAIL} lines (add ?tail=N for up to ${LOGS_MAX_TAIL})`,
    mimeType: JSON_MIME,
  };
  server.registerResource(
    'session-logs',
    new ResourceTemplate('berth://sessions/{session}/logs', {
      list: async () => ({
        resources: (await backend.sessions.list()).map((s) => ({ uri: `berth://sessions/${encodeURIComponent(s.id)}/logs`, name: `logs of ${s.name}` })),
      }),
    }),
    logsMeta,
    readLogs,
  );
  server.registerResource('session-logs-tail', new ResourceTemplate('berth://sessions/{session}/logs{?tail}', { list: undefined }), logsMeta, readLogs);
}
