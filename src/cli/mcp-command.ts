import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { BerthClient } from '../client/client.js';
import { BerthError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { EngineKind } from '../engine/types.js';
import { daemonBackend, type McpBackend } from '../mcp/mcp-backend.js';
import { createMcpServer } from '../mcp/mcp-server.js';
import { startInProcess } from '../mcp/in-process.js';
import { clientOptions, type GlobalOptions } from './client-factory.js';

export interface McpFlags {
  /** Where the daemon is: the socket, or a TCP url with token and CA. */
  global: GlobalOptions;
  /** With no daemon: `auto`, `docker` or `podman`. */
  engine: string;
}

const say = (line: string) => process.stderr.write(`berth mcp: ${line}\n`);

/**
 * `berth mcp`: an MCP server on stdin/stdout (stdout carries only the protocol; logs go
 * to stderr). Serves the daemon when it answers on the socket, else runs berth
 * in-process and says so. Returns when the client closes stdin or on SIGTERM/SIGINT.
 */
export async function runMcp(flags: McpFlags): Promise<void> {
  const log = createLogger({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' });
  const client = BerthClient.connect({ ...(await clientOptions(flags.global)), trust: 'untrusted' });
  const where = client.endpoint.socketPath ?? client.endpoint.url;
  let backend: McpBackend;
  let closeBackend = async () => {};
  try {
    await client.ping();
    backend = daemonBackend(client);
    say(`serving the berth daemon at ${where}`);
  } catch (err) {
    if (!BerthError.is(err, 'DaemonUnavailable')) throw err;
    const local = await startInProcess({ engine: flags.engine as EngineKind | 'auto', log });
    backend = local.backend;
    closeBackend = local.close;
    const e = local.berth.engine;
    say(`no daemon answers at ${where}; running in-process on ${e ? `${e.kind} ${e.version}` : 'no engine'} (sessions end when this server exits)`);
  }
  const server = createMcpServer(backend, log);
  await server.connect(new StdioServerTransport());
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  await closeBackend();
  log.flush();
}
