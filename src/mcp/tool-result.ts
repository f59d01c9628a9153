import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** A result as structured content, and the same JSON as text for clients that read only text. */
export function toolResult(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/**
 * A tool error: `<code>: <message>` as text, berth's code and details in `_meta['berth/error']`.
 * Errors that are not berth's are logged (stderr) and reported as `Internal`.
 */
export function toolError(err: unknown, tool: string, log: Logger): CallToolResult {
  if (!(err instanceof BerthError)) log.error({ err, tool }, 'tool failed unexpectedly');
  const e = BerthError.from(err);
  return {
    isError: true,
    content: [{ type: 'text', text: `${e.code}: ${e.message}` }],
    _meta: { 'berth/error': { code: e.code, ...(Object.keys(e.details).length ? { details: e.details } : {}) } },
  };
}
