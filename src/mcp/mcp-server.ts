import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BerthError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { VERSION } from '../common/version.js';
import { FILE_TOOLS } from './file-tools.js';
import type { McpBackend } from './mcp-backend.js';
import { registerResources } from './resources.js';
import { SESSION_TOOLS } from './session-tools.js';
import { PROCESS_TOOLS } from './process-tools.js';
import type { BerthTool } from './tool.js';
import { toolError, toolResult } from './tool-result.js';

/** Every tool of `berth mcp`, in the order they are listed. */
export const BERTH_TOOLS: readonly BerthTool[] = [...SESSION_TOOLS, ...FILE_TOOLS, ...PROCESS_TOOLS];

const jsonSchema = (schema: z.ZodObject, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-7', io }) as Tool['inputSchema'];

function listed(t: BerthTool): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: jsonSchema(t.inputSchema, 'input'),
    outputSchema: jsonSchema(t.outputSchema, 'output'),
    annotations: { title: t.title, ...t.annotations },
  };
}

/**
 * The MCP server of berth over `backend` (the daemon, or berth in-process): the tools of
 * `BERTH_TOOLS` and the resources of `registerResources`. Tools are served from the SDK's
 * request handlers rather than `registerTool` so that berth validates the arguments
 * itself: a bad argument is a tool error `InvalidArgument: …` naming every field, as on
 * the HTTP API, and any failure is a tool error with berth's code, never a crash.
 */
export function createMcpServer(backend: McpBackend, log: Logger): McpServer {
  const server = new McpServer(
    { name: 'berth', title: 'berth sandboxes', version: VERSION },
    {
      instructions:
        `berth runs commands in sandboxed containers (${backend.mode === 'daemon' ? 'through the berth daemon' : 'in-process: sessions end when this server exits'}). ` +
        'create_session, then exec / write_file / read_file / list_directory in it; export_directory to keep results; end_session when done.',
    },
  );
  const byName = new Map(BERTH_TOOLS.map((t) => [t.name, t]));
  const tools = BERTH_TOOLS.map(listed);
  server.server.registerCapabilities({ tools: {} });
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const tool = byName.get(req.params.name);
    try {
      if (!tool) throw new BerthError('NotFound', `no tool "${req.params.name}"; berth's tools: ${[...byName.keys()].join(', ')}`);
      return toolResult(await tool.call(backend, req.params.arguments));
    } catch (err) {
      return toolError(err, req.params.name, log);
    }
  });
  registerResources(server, backend, log);
  return server;
}
