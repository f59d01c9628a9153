import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { parse } from '../api/parse.js';
import type { McpBackend } from './mcp-backend.js';

/** One MCP tool: its schemas (listed as JSON Schema) and `call`, which validates then runs. */
export interface BerthTool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly annotations: ToolAnnotations;
  readonly inputSchema: z.ZodObject;
  readonly outputSchema: z.ZodObject;
  /** Parses `args` with `inputSchema` (`InvalidArgument` with every field problem), then runs. */
  call(backend: McpBackend, args: unknown): Promise<Record<string, unknown>>;
}

interface ToolDefinition<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  input: I;
  output: O;
  run(backend: McpBackend, args: z.output<I>): Promise<z.input<O>>;
}

/** A tool whose `run` sees typed, validated arguments. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(t: ToolDefinition<I, O>): BerthTool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    annotations: t.annotations,
    inputSchema: t.input,
    outputSchema: t.output,
    call: async (backend, args) => t.run(backend, parse(t.input, args ?? {}, `${t.name} arguments`)),
  };
}
