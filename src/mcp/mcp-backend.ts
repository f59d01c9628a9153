import type { Berth } from '../berth.js';
import type { BerthClient } from '../client/client.js';
import type { FilesApi } from '../files/files-api.js';
import type { ResourceSample } from '../monitor/resource-sample.js';
import type { ProcessesApi } from '../agent/processes-api.js';
import type { SessionsApi } from '../session/sessions-api.js';

/**
 * What the MCP server drives: the daemon through `BerthClient`, or `Berth` in-process.
 * Both have the same `sessions` and `files`; resource samples are read differently.
 */
export interface McpBackend {
  /** `daemon` or `in-process`: named in the server's instructions to the client. */
  readonly mode: 'daemon' | 'in-process';
  readonly sessions: SessionsApi;
  readonly files: FilesApi;
  /** Background processes kept by session agents. */
  readonly processes: ProcessesApi;
  /** The newest resource sample of a session (by id); undefined before its first. */
  newestSample(sessionId: string): Promise<ResourceSample | undefined>;
}

/** The daemon's sessions, files and samples (its sampler runs every `sampleIntervalMs`). */
export function daemonBackend(client: BerthClient): McpBackend {
  return {
    mode: 'daemon',
    sessions: client.sessions,
    files: client.files,
    processes: client.processes,
    newestSample: async (id) => (await client.monitor.stats(id))[0],
  };
}

/** In-process sessions and files; samples exist only while a `Sampler` runs on `berth.monitor`. */
export function inProcessBackend(berth: Berth): McpBackend {
  return {
    mode: 'in-process',
    sessions: berth.sessions,
    files: berth.files,
    processes: berth.processes,
    newestSample: async (id) => berth.monitor.latest(id)[0],
  };
}
