import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Frame } from '../api/frames.js';
import { BerthError } from '../common/errors.js';
import { defaultSocketPath } from '../common/paths.js';
import type { ExecExit } from '../exec/exec-stream.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { CreateSessionRequest } from '../session/create-request.js';
import type { Trust } from '../security/trust.js';
import type { ExecDefaults, ExecRecord, Session, SessionEvent } from '../session/session.js';
import type {
  CreateSessionOptions,
  ListSessionsRequest,
  PruneSessionsOptions,
  PruneSessionsResult,
  SessionExecOptions,
  SessionExecStream,
  SessionExecStreamOptions,
  SessionLogs,
  SessionLogsOptions,
  SessionsApi,
  StopSessionOptions,
} from '../session/sessions-api.js';
import type { FilesApi } from '../files/files-api.js';
import type { AttachOptions, ShellOptions, ShellStream } from '../interactive/shell-stream.js';
import { FilesClient } from './files-client.js';
import { LineSplitter } from './ndjson.js';
import { MonitorClient } from './monitor-client.js';
import { NetworksClient } from './networks-client.js';
import type { NetworksApi } from '../network/networks-api.js';
import { SecurityClient } from './security-client.js';
import type { SecurityApi } from '../security/security-api.js';
import { VolumesClient } from './volumes-client.js';
import type { VolumesApi } from '../volume/volumes-api.js';
import { ImagesClient } from './images-client.js';
import { WorkflowsClient } from './workflow-client.js';
import { ProcessesClient } from './processes-client.js';
import type { ProcessesApi } from '../agent/processes-api.js';
import { call, errorFrom, open, type Endpoint, seg } from './http.js';

export interface BerthClientOptions {
  /** Default `BERTH_SOCKET`, else the daemon's default socket. */
  socketPath?: string;
  /** `http://host:port` (loopback) or `https://host:port` for a daemon listening on TCP (then `token` is needed). */
  url?: string;
  token?: string;
  /** PEM CA certificate(s) that signed an https daemon's certificate (default: the system's CAs). */
  ca?: string | Buffer;
  /** `untrusted`: the daemon treats every request of this client as an untrusted caller's (MCP, agents); default `operator`. */
  trust?: Trust;
}


function execBody(o: SessionExecStreamOptions): Record<string, unknown> {
  const { stdin, ...rest } = o;
  if (stdin === undefined) return rest;
  return Buffer.isBuffer(stdin) ? { ...rest, stdin: stdin.toString('base64'), stdinEncoding: 'base64' } : { ...rest, stdin };
}

/** Non-empty lines of a byte stream (NDJSON). */
async function* lines(source: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const split = new LineSplitter();
  for await (const chunk of source) yield* split.push(chunk);
  yield* split.end();
}

/** Splits an NDJSON frame response into stdout/stderr streams and a final frame. */
/** Splits an NDJSON exec-style response into stdout, stderr and its last frame. */
export function framesOf(res: IncomingMessage): { stdout: PassThrough; stderr: PassThrough; last: Promise<Frame | undefined> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const last = (async () => {
    let final: Frame | undefined;
    try {
      for await (const line of lines(res)) {
        const f = JSON.parse(line) as Frame;
        if ('o' in f) {
          if (!stdout.write(Buffer.from(f.o, 'base64'))) await new Promise((r) => stdout.once('drain', r));
        } else if ('e' in f) {
          if (!stderr.write(Buffer.from(f.e, 'base64'))) await new Promise((r) => stderr.once('drain', r));
        } else final = f;
      }
    } finally {
      stdout.end();
      stderr.end();
    }
    return final;
  })();
  return { stdout, stderr, last };
}

class SessionsClient implements SessionsApi {
  constructor(private readonly ep: Endpoint) {}

  create(request: CreateSessionRequest, options: CreateSessionOptions = {}): Promise<Session> {
    return call(options.trust === 'untrusted' ? { ...this.ep, trust: 'untrusted' } : this.ep, 'POST', '/v1/sessions', request);
  }

  list(r: ListSessionsRequest = {}): Promise<Session[]> {
    const q = new URLSearchParams();
    for (const s of r.state === undefined ? [] : Array.isArray(r.state) ? r.state : [r.state]) q.append('state', s);
    if (r.all) q.set('all', 'true');
    if (r.name) q.set('name', r.name);
    for (const [k, v] of Object.entries(r.labels ?? {})) q.append('label', `${k}=${v}`);
    if (r.limit) q.set('limit', String(r.limit));
    const qs = q.toString();
    return call(this.ep, 'GET', `/v1/sessions${qs ? `?${qs}` : ''}`);
  }

  prune(options: PruneSessionsOptions = {}): Promise<PruneSessionsResult> {
    return call(this.ep, 'POST', '/v1/sessions/prune', options);
  }

  get(id: string): Promise<Session> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(id)}`);
  }

  stop(id: string, options: StopSessionOptions = {}): Promise<Session> {
    return call(this.ep, 'POST', `/v1/sessions/${seg(id)}/stop`, options);
  }

  start(id: string): Promise<Session> {
    return call(this.ep, 'POST', `/v1/sessions/${seg(id)}/start`, {});
  }

  remove(id: string): Promise<Session> {
    return call(this.ep, 'DELETE', `/v1/sessions/${seg(id)}`);
  }

  exec(id: string, options: SessionExecOptions): Promise<ExecResult> {
    return call(this.ep, 'POST', `/v1/sessions/${seg(id)}/exec`, execBody(options));
  }

  async execStream(id: string, options: SessionExecStreamOptions): Promise<SessionExecStream> {
    const res = await open(this.ep, 'POST', `/v1/sessions/${seg(id)}/exec/stream`, execBody(options));
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    const { stdout, stderr, last } = framesOf(res);
    const exit = last.then((f): ExecExit => {
      if (f && 'exit' in f) return f.exit;
      if (f && 'error' in f) throw new BerthError(f.error.code as never, f.error.message);
      throw new BerthError('DaemonUnavailable', 'the daemon closed the exec stream before the command finished');
    });
    const kill = async () => {
      res.destroy();
    };
    return { stdout, stderr, exit, kill };
  }

  async logs(id: string, options: SessionLogsOptions = {}): Promise<SessionLogs> {
    const q = new URLSearchParams();
    if (options.follow) q.set('follow', 'true');
    if (options.tail !== undefined) q.set('tail', String(options.tail));
    const res = await open(this.ep, 'GET', `/v1/sessions/${seg(id)}/logs?${q}`);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    const { stdout, stderr, last } = framesOf(res);
    last.catch(() => undefined);
    return { stdout, stderr, close: () => res.destroy() };
  }

  fork(id: string, options: { name?: string; trust?: Trust } = {}): Promise<Session> {
    const { trust, ...body } = options;
    return call(trust === 'untrusted' ? { ...this.ep, trust: 'untrusted' } : this.ep, 'POST', `/v1/sessions/${seg(id)}/fork`, body);
  }

  setDefaults(id: string, defaults: ExecDefaults): Promise<Session> {
    return call(this.ep, 'POST', `/v1/sessions/${seg(id)}/defaults`, defaults);
  }

  async openShell(id: string, options: ShellOptions = {}): Promise<ShellStream> {
    return (await import('./shell-client.js')).connectTerminal(this.ep, `/v1/sessions/${seg(id)}/shell`, options);
  }

  async attach(id: string, options: AttachOptions = {}): Promise<ShellStream> {
    return (await import('./shell-client.js')).connectTerminal(this.ep, `/v1/sessions/${seg(id)}/attach`, options);
  }

  events(id: string): Promise<SessionEvent[]> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(id)}/events`);
  }

  history(id: string): Promise<ExecRecord[]> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(id)}/history`);
  }
}

/**
 * A client of the berth daemon. `sessions` and `files` have the same interfaces as
 * `Berth.sessions` and `Berth.files` in-process.
 */
export class BerthClient {
  readonly sessions: SessionsApi;
  readonly files: FilesApi;
  /** Samples, alerts, health, events and metrics. */
  readonly monitor: MonitorClient;
  /** This daemon's networks; the same interface as `Berth.networks`. */
  readonly networks: NetworksApi;
  /** Security scores and the audit log, as `Berth.security`. */
  readonly security: SecurityApi;
  /** The same interface as `Berth.volumes`: volumes and gc. */
  readonly volumes: VolumesApi;
  /** berth's images: build with progress, ensure, list, remove, prune. */
  readonly images: ImagesClient;
  /** Workflow runs (run by the daemon). */
  readonly workflows: WorkflowsClient;
  /** Detached processes kept by session agents; the same interface as `Berth.processes`. */
  readonly processes: ProcessesApi;
  readonly endpoint: Endpoint;

  private constructor(ep: Endpoint) {
    this.endpoint = ep;
    this.sessions = new SessionsClient(ep);
    this.files = new FilesClient(ep);
    this.monitor = new MonitorClient(ep);
    this.networks = new NetworksClient(ep);
    this.security = new SecurityClient(ep);
    this.volumes = new VolumesClient(ep);
    this.images = new ImagesClient(ep);
    this.workflows = new WorkflowsClient(ep);
    this.processes = new ProcessesClient(ep);
  }

  /** Makes a client; nothing is sent until the first call. */
  static connect(options: BerthClientOptions = {}): BerthClient {
    const ep: Endpoint = {
      ...(options.url
        ? { url: options.url, ...(options.token ? { token: options.token } : {}), ...(options.ca ? { ca: options.ca } : {}) }
        : { socketPath: options.socketPath ?? defaultSocketPath() }),
      ...(options.trust === 'untrusted' ? { trust: 'untrusted' as const } : {}),
    };
    return new BerthClient(ep);
  }

  ping(): Promise<{ ok: boolean }> {
    return call(this.endpoint, 'GET', '/v1/ping');
  }

  info(): Promise<Record<string, unknown>> {
    return call(this.endpoint, 'GET', '/v1/info');
  }

  async close(): Promise<void> {}
}
