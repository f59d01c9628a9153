import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { countersFromStats, type EngineStatsJson, type RawCounters } from './stats.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BerthError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { EngineArchives } from './archives.js';
import { DEFAULT_ENGINE_CALL_MS, engineCallTimeout, withTimeout } from './call-timeout.js';
import { modemAddress, signalled } from './connect.js';
import { detectEngine, type DetectOptions, type DetectResult } from './detect.js';
import { engineStatus, translateEngineError } from './errors.js';
import { EngineNetworks } from './networks.js';
import { canonicalImageName, ENGINE_DETACH_KEYS, securityFieldsFor, tmpfsOptionsFor } from './quirks.js';
import { strictSeccompJson, strictSeccompPath } from '../security/seccomp-profile.js';
import type { EngineHostInfo, EngineInfo } from './types.js';
import { EngineVolumes } from './volumes.js';

export type CreateOptions = Docker.ContainerCreateOptions;
export type InspectInfo = Docker.ContainerInspectInfo;
export type ContainerSummary = Docker.ContainerInfo;

export interface ExecCreateOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  stdin: boolean;
  tty: boolean;
}

export interface ExecState {
  running: boolean;
  exitCode: number | null;
  /** The exec's process id on the engine's host (0 when unknown). */
  pid: number;
}

export interface LogsRequest {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Lines from the end; default all. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  timestamps?: boolean;
}

export interface EventsRequest {
  /** Label filters, `key=value`. */
  labels?: string[];
  /** Unix seconds. */
  since?: number;
  /** Ends the request, also before the engine has answered (Podman sends no headers until the first event). */
  signal?: AbortSignal;
}

/** An image as berth sees it on either engine (Podman's `localhost/` prefix removed from tags). */
export interface ImageSummary {
  id: string;
  /** `name:tag`, canonical (no `localhost/`); empty for a dangling image. */
  tags: string[];
  labels: Record<string, string>;
  /** Bytes. */
  size: number;
  /** ISO 8601. */
  created: string;
}

function tagsOf(raw: readonly string[] | null | undefined): string[] {
  return (raw ?? []).filter((t) => t && !t.startsWith('<none>')).map(canonicalImageName);
}

/** Told of every engine call: its operation (the first two words of what it does), outcome and duration. */
export type EngineCallObserver = (op: string, ok: boolean, seconds: number) => void;

export interface EngineConnectOptions extends DetectOptions {
  logger?: Logger;
  observer?: EngineCallObserver;
}

/**
 * The one boundary to the container engine. Every dockerode call in berth goes
 * through here; callers get typed results and BerthErrors.
 */
export class Engine {
  readonly info: EngineInfo;
  /** Runtimes and data dir, as the engine reported them at connect. */
  readonly host: EngineHostInfo;
  readonly tried: DetectResult['tried'];
  /** Network calls (create, inspect, list, connect, remove). */
  readonly networks: EngineNetworks;
  private readonly docker: Docker;
  private readonly log: Logger;

  private readonly observer: EngineCallObserver | undefined;
  /** Volume calls (create, list, inspect, remove, users, sizes). */
  readonly volumes: EngineVolumes;
  /** Archive calls: files into and out of containers, stat of a path. */
  readonly archives: EngineArchives;

  private constructor(detected: DetectResult, log: Logger, observer?: EngineCallObserver) {
    this.observer = observer;
    this.info = detected.info;
    this.host = detected.host;
    this.tried = detected.tried;
    this.docker = detected.docker;
    this.log = log.child({ engine: detected.info.kind });
    this.volumes = new EngineVolumes(this.docker, (what, fn) => this.call(what, fn));
    this.networks = new EngineNetworks(this.docker, (what, fn) => this.call(what, fn));
    this.archives = new EngineArchives(this.docker, (what, fn) => this.call(what, fn));
  }

  static async connect(options: EngineConnectOptions = {}): Promise<Engine> {
    const detected = await detectEngine(options);
    const log = options.logger ?? silentLogger();
    log.debug({ engine: detected.info }, 'engine detected');
    return new Engine(detected, log, options.observer);
  }

  /**
   * Every engine call goes through here: observed, translated to BerthErrors, and bounded
   * (`timeoutMs`, default engineCallTimeout(what)); `fn` gets the signal of that bound to
   * pass to dockerode, so the request itself is torn down.
   */
  private async call<T>(what: string, fn: (signal: AbortSignal | undefined) => Promise<T>, timeoutMs: number = engineCallTimeout(what)): Promise<T> {
    const t0 = performance.now();
    const observe = (ok: boolean) => this.observer?.(what.split(' ', 2).join(' '), ok, (performance.now() - t0) / 1000);
    try {
      const r = await withTimeout(what, timeoutMs, fn);
      observe(true);
      return r;
    } catch (err) {
      observe(false);
      const e = translateEngineError(err, what);
      this.log.debug({ err: e, what }, 'engine call failed');
      throw e;
    }
  }

  async ping(): Promise<void> {
    await this.call('ping', () => signalled(this.docker).ping({ abortSignal: AbortSignal.timeout(5000) }));
  }

  async createContainer(options: CreateOptions): Promise<string> {
    const tmpfs = options.HostConfig?.Tmpfs;
    if (tmpfs) {
      const translated = Object.fromEntries(Object.entries(tmpfs).map(([path, o]) => [path, tmpfsOptionsFor(this.info.kind, o)]));
      options = { ...options, HostConfig: { ...options.HostConfig, Tmpfs: translated } };
    }
    const temp: string[] = [];
    const toPath = (json: string) => {
      if (json === strictSeccompJson()) return strictSeccompPath();
      const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
      temp.push(dir);
      writeFileSync(join(dir, 'profile.json'), json, { mode: 0o600 });
      return join(dir, 'profile.json');
    };
    if (options.HostConfig) options = { ...options, HostConfig: { ...options.HostConfig, ...securityFieldsFor(this.info.kind, options.HostConfig, toPath) } };
    try {
      const c = await withTimeout(`create container from ${options.Image ?? '?'}`, engineCallTimeout('create'), () => this.docker.createContainer(options));
      return c.id;
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (options.HostConfig?.UsernsMode === 'auto' && /subuid|available IDs|mappings for user/i.test(String((err as Error).message))) {
        throw new BerthError('EngineUnavailable', `Podman cannot give the container a user namespace of its own (userns=auto, used by the strict profile): add a range for the user "containers" to /etc/subuid and /etc/subgid, e.g. containers:1000000000:1000000000 (scripts/bootstrap-engines.sh does)`, { cause: err });
      }
      if (engineStatus(err) === 404 && options.Image && !(await this.imageExists(options.Image))) {
        throw new BerthError(
          'NotFound',
          `image "${options.Image}" not found on ${this.info.kind}; build it first (no registry is pulled from)`,
          { details: { image: options.Image }, cause: err },
        );
      }
      throw translateEngineError(err, `create container from ${options.Image ?? '?'}`);
    } finally {
      for (const dir of temp) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Starts a container; `changed: false` when it was already running. */
  async startContainer(id: string): Promise<{ changed: boolean }> {
    return this.idempotent(`start container ${id}`, (abortSignal) => this.docker.getContainer(id).start({ abortSignal }));
  }

  /** Stops with a grace period in seconds; `changed: false` when it was not running. */
  async stopContainer(id: string, graceSeconds: number): Promise<{ changed: boolean }> {
    return this.idempotent(`stop container ${id}`, (abortSignal) => this.docker.getContainer(id).stop({ t: graceSeconds, abortSignal }), graceSeconds * 1000 + DEFAULT_ENGINE_CALL_MS);
  }

  async restartContainer(id: string, graceSeconds: number): Promise<void> {
    await this.call(`restart container ${id}`, (abortSignal) => this.docker.getContainer(id).restart({ t: graceSeconds, abortSignal }), graceSeconds * 1000 + DEFAULT_ENGINE_CALL_MS);
  }

  async killContainer(id: string, signal: string): Promise<void> {
    await this.call(`kill container ${id}`, () => this.docker.getContainer(id).kill({ signal }));
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call(`pause container ${id}`, () => this.docker.getContainer(id).pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call(`unpause container ${id}`, () => this.docker.getContainer(id).unpause());
  }

  /** Removes a container; `removed: false` when it did not exist. */
  async removeContainer(id: string, opts: { force: boolean; volumes: boolean }): Promise<{ removed: boolean }> {
    const what = `remove container ${id}`;
    try {
      await withTimeout(what, engineCallTimeout(what), (abortSignal) => this.docker.getContainer(id).remove({ force: opts.force, v: opts.volumes, abortSignal }));
      return { removed: true };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return { removed: false };
      throw translateEngineError(err, `remove container ${id}`);
    }
  }

  async inspectContainer(id: string): Promise<InspectInfo> {
    return this.call(`inspect container ${id}`, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }));
  }

  /** Lists containers carrying all the given labels (`key=value` or `key`). */
  async listContainers(labels: string[], all: boolean): Promise<ContainerSummary[]> {
    return this.call('list containers', () =>
      this.docker.listContainers({ all, filters: JSON.stringify({ label: labels }) }),
    );
  }

  /** Waits until the container is not running; returns its exit code. */
  async waitContainer(id: string): Promise<{ exitCode: number }> {
    const r = await this.call(`wait for container ${id}`, () => this.docker.getContainer(id).wait());
    return { exitCode: Number((r as { StatusCode?: number }).StatusCode ?? -1) };
  }

  /** The raw log stream: multiplexed (8-byte frames) unless the container has a TTY. */
  async containerLogs(id: string, req: LogsRequest): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const base = {
      stdout: req.stdout,
      stderr: req.stderr,
      timestamps: req.timestamps ?? false,
      ...(req.tail !== undefined ? { tail: req.tail } : {}),
      ...(req.since !== undefined ? { since: req.since } : {}),
    };
    if (req.follow) {
      return this.call(`logs of container ${id}`, async () => (await c.logs({ ...base, follow: true })) as unknown as Readable);
    }
    const buf = await this.call(`logs of container ${id}`, () => c.logs({ ...base, follow: false }));
    return Readable.from([Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))]);
  }

  private async isRunning(id: string): Promise<boolean> {
    try {
      return (await withTimeout('inspect container', engineCallTimeout('inspect'), (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }))).State.Running;
    } catch {
      return true;
    }
  }

  async imageExists(name: string): Promise<boolean> {
    try {
      await withTimeout(`inspect image ${name}`, engineCallTimeout('inspect'), () => this.docker.getImage(name).inspect());
      return true;
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return false;
      throw translateEngineError(err, `inspect image ${name}`);
    }
  }

  /** Creates an exec. A stopped container is `Conflict` on both engines (Podman answers 500 there). */
  async createExec(containerId: string, o: ExecCreateOptions): Promise<string> {
    const what = `exec in container ${containerId}`;
    const exec = await this.call(what, () =>
      this.docker.getContainer(containerId).exec({
        Cmd: o.cmd,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: o.stdin,
        Tty: o.tty,
        ...(o.env && o.env.length ? { Env: o.env } : {}),
        ...(o.workdir ? { WorkingDir: o.workdir } : {}),
        ...(o.user ? { User: o.user } : {}),
        ...(o.tty && o.stdin ? { DetachKeys: ENGINE_DETACH_KEYS } : {}),
      }).catch(async (err: unknown) => {
        if (engineStatus(err) !== 404 && !(await this.isRunning(containerId))) {
          throw new BerthError('Conflict', `${what}: the container is not running; start it first`, { cause: err });
        }
        throw err;
      }),
    );
    return exec.id;
  }

  /** Starts an exec and returns its stream (multiplexed unless tty). With stdin, the stream is writable. */
  async startExec(execId: string, o: { stdin: boolean; tty: boolean }): Promise<Duplex> {
    return this.call(`start exec ${execId}`, async () => {
      const stream = await this.docker.getExec(execId).start({ hijack: o.stdin, stdin: o.stdin, Tty: o.tty });
      return stream as unknown as Duplex;
    });
  }

  /** Starts an exec without attaching to it: the process runs on by itself. */
  async startExecDetached(execId: string): Promise<void> {
    await this.call(`start exec ${execId}`, async () => {
      await this.docker.getExec(execId).start({ Detach: true, Tty: false });
    });
  }

  async inspectExec(execId: string): Promise<ExecState> {
    const r = await this.call(`inspect exec ${execId}`, () => this.docker.getExec(execId).inspect());
    return { running: r.Running, exitCode: r.ExitCode ?? null, pid: r.Pid ?? 0 };
  }

  async resizeExec(execId: string, cols: number, rows: number): Promise<void> {
    await this.call(`resize exec ${execId}`, () => this.docker.getExec(execId).resize({ w: cols, h: rows }));
  }

  /**
   * Attaches to the main process's stdin and output (raw bytes for a TTY container).
   * Closing the connection leaves the process running.
   */
  async attachContainer(id: string): Promise<Duplex> {
    const q = new URLSearchParams({ stream: '1', stdin: '1', stdout: '1', stderr: '1' });
    return this.call(`attach to container ${id}`, () => this.hijack(`/containers/${encodeURIComponent(id)}/attach?${q}`));
  }

  /**
   * POSTs with no body and returns the upgraded connection. dockerode's attach sends its
   * options, or an empty chunked body, before the upgrade, and Podman passes those bytes
   * to the process as typed input; so this one request is made here, with Content-Length 0.
   */
  private hijack(path: string): Promise<Duplex> {
    const a = modemAddress(this.docker);
    const request = 'tls' in a && a.tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request({
        ...('socketPath' in a ? { socketPath: a.socketPath } : { host: a.host, port: a.port }),
        path,
        method: 'POST',
        headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Length': '0' },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          let json: unknown = body;
          try {
            json = JSON.parse(body);
          } catch {
            // plain text
          }
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode, json }));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** One reading of the engine's stats endpoint (about a second per container on Docker here). */
  async containerStats(id: string): Promise<RawCounters> {
    const r = await this.call(`stats of container ${id}`, () => this.docker.getContainer(id).stats({ stream: false }));
    return countersFromStats(r as unknown as EngineStatsJson);
  }

  /** Sets the TTY size of a container's main process, in character cells. */
  async resizeContainer(id: string, cols: number, rows: number): Promise<void> {
    await this.call(`resize container ${id}`, () => this.docker.getContainer(id).resize({ w: cols, h: rows }));
  }

  /** Commits the container's filesystem to an image `repo:tag` with labels; returns the image id. */
  async commitContainer(id: string, o: { repo: string; tag: string; labels: Record<string, string> }): Promise<string> {
    const changes = `LABEL ${Object.entries(o.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
    const options: Record<string, unknown> = { repo: o.repo, tag: o.tag, pause: true, changes };
    const r: unknown = await this.call(`commit container ${id}`, () => this.docker.getContainer(id).commit(options));
    return String((r as { Id?: string; id?: string }).Id ?? (r as { id?: string }).id ?? '');
  }

  /**
   * Images carrying all the given labels (`key=value` or `key`), dangling ones included.
   * Podman's compat API returns nothing for a key-only filter next to a `key=value` one,
   * so the engine gets the `key=value` filters (or the one key) and the rest is checked here.
   */
  async listImages(labels: string[]): Promise<ImageSummary[]> {
    const valued = labels.filter((l) => l.includes('='));
    const sent = valued.length ? valued : labels.slice(0, 1);
    const has = (r: { Labels?: Record<string, string> | null }, l: string) => {
      const i = l.indexOf('=');
      const v = r.Labels?.[i < 0 ? l : l.slice(0, i)];
      return v !== undefined && (i < 0 || v === l.slice(i + 1));
    };
    const rows = await this.call('list images', () => this.docker.listImages({ all: false, filters: JSON.stringify({ label: sent }) }));
    return rows.filter((r) => labels.every((l) => has(r, l))).map((r) => ({
      id: r.Id,
      tags: tagsOf(r.RepoTags),
      labels: r.Labels ?? {},
      size: r.Size,
      created: new Date(r.Created * 1000).toISOString(),
    }));
  }

  /** One image by name or id; undefined when the engine has no such image. */
  async inspectImage(name: string): Promise<ImageSummary | undefined> {
    try {
      const r = await withTimeout(`inspect image ${name}`, engineCallTimeout('inspect'), () => this.docker.getImage(name).inspect());
      return { id: r.Id, tags: tagsOf(r.RepoTags), labels: r.Config?.Labels ?? {}, size: r.Size, created: r.Created };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return undefined;
      throw translateEngineError(err, `inspect image ${name}`);
    }
  }

  /**
   * Removes an image (by name: that tag; by id: the image); `removed: false` when it did
   * not exist. `Conflict` while a container uses it, unless `force`.
   */
  async removeImage(name: string, o: { force?: boolean } = {}): Promise<{ removed: boolean }> {
    try {
      await withTimeout(`remove image ${name}`, engineCallTimeout('remove'), () => this.docker.getImage(name).remove({ ...(o.force ? { force: true } : {}) }));
      return { removed: true };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 404) return { removed: false };
      throw translateEngineError(err, `remove image ${name}`);
    }
  }

  /** The engine's event stream (JSON lines), filtered by labels. */
  async events(req: EventsRequest = {}): Promise<Readable> {
    return this.call('events', async () => {
      const filters: Record<string, string[]> = { type: ['container'] };
      if (req.labels?.length) filters.label = req.labels;
      const s = await this.docker.getEvents({ filters, ...(req.since !== undefined ? { since: req.since } : {}), ...(req.signal ? { abortSignal: req.signal } : {}) });
      return s as unknown as Readable;
    });
  }

  private async idempotent(what: string, fn: (signal: AbortSignal | undefined) => Promise<unknown>, timeoutMs = engineCallTimeout(what)): Promise<{ changed: boolean }> {
    try {
      await withTimeout(what, timeoutMs, fn);
      return { changed: true };
    } catch (err) {
      if (BerthError.is(err)) throw err;
      if (engineStatus(err) === 304) return { changed: false };
      throw translateEngineError(err, what);
    }
  }

  /** Nothing to release today (dockerode keeps no pool we own); kept so callers can rely on it. */
  async close(): Promise<void> {}
}
