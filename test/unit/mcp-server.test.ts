import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/common/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { FilesApi } from '../../src/files/files-api.js';
import type { McpBackend } from '../../src/mcp/mcp-backend.js';
import { BERTH_TOOLS, createMcpServer } from '../../src/mcp/mcp-server.js';
import type { SessionsApi } from '../../src/session/sessions-api.js';
import type { ProcessesApi } from '../../src/agent/processes-api.js';

/** A backend whose every call fails with `error` (no engine involved: this is about the server's error mapping). */
function failingBackend(error: () => unknown): McpBackend {
  const fail = async () => {
    throw error();
  };
  const everyMethod = <T extends object>() => new Proxy({} as T, { get: () => fail });
  return { mode: 'in-process', sessions: everyMethod<SessionsApi>(), files: everyMethod<FilesApi>(), processes: everyMethod<ProcessesApi>(), newestSample: fail };
}

describe('the MCP server', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  async function connected(backend: McpBackend): Promise<Client> {
    const server = createMcpServer(backend, silentLogger());
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'unit', version: '1.0.0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    closers.push(() => client.close(), () => server.close());
    return client;
  }
  const text = (r: CallToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '');

  it('turns an unexpected error into an Internal tool error and keeps answering', async () => {
    const client = await connected(failingBackend(() => new TypeError('boom')));
    const r = (await client.callTool({ name: 'exec', arguments: { session: 's', cmd: ['true'] } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toBe('Internal: boom');
    expect(r._meta?.['berth/error']).toEqual({ code: 'Internal' });
    expect((await client.listTools()).tools).toHaveLength(BERTH_TOOLS.length);
  });

  it("passes berth's code, message and details through", async () => {
    const client = await connected(failingBackend(() => new BerthError('Conflict', 'session x is stopped; start it first', { details: { state: 'stopped' } })));
    const r = (await client.callTool({ name: 'list_sessions', arguments: {} })) as CallToolResult;
    expect(text(r)).toBe('Conflict: session x is stopped; start it first');
    expect(r._meta?.['berth/error']).toEqual({ code: 'Conflict', details: { state: 'stopped' } });
  });

  it('validates arguments before calling berth, listing every bad field', async () => {
    const client = await connected(failingBackend(() => new Error('must not be called')));
    const r = (await client.callTool({ name: 'write_file', arguments: { session: '', path: 5, extra: true } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^InvalidArgument: invalid write_file arguments: /);
    for (const field of ['session', 'path', 'content', 'extra']) expect(text(r)).toContain(field);
  });
});
