import { BerthError } from './common/errors.js';
import { DEFAULT_INSTANCE } from './common/labels.js';
import { silentLogger, type Logger } from './common/logger.js';
import { Engine } from './engine/engine.js';
import type { EngineInfo, EngineKind } from './engine/types.js';
import { ContainerManager } from './lifecycle/container-manager.js';

export interface BerthConnectOptions {
  /** `auto` (default): the first engine that answers; or insist on `docker` / `podman`. */
  engine?: EngineKind | 'auto';
  /** Engine socket path or URL; default: detected (env, CLI context, well-known sockets). */
  socketPath?: string;
  /** Owner label for what this client creates; default `default`, or `BERTH_INSTANCE`. */
  instance?: string;
  /** pino logger; default silent. */
  logger?: Logger;
}

/** berth in-process: an engine connection and the managers on top of it. */
export class Berth {
  readonly engine: EngineInfo;
  readonly containers: ContainerManager;
  /** The engine boundary, for managers built on top of this client. */
  readonly engineClient: Engine;

  private constructor(engine: Engine, instance: string, log: Logger) {
    this.engineClient = engine;
    this.engine = engine.info;
    this.containers = new ContainerManager(engine, instance, log);
  }

  /** Detects and connects to an engine. `EngineUnavailable` says every place it tried. */
  static async connect(options: BerthConnectOptions = {}): Promise<Berth> {
    const kind = options.engine ?? 'auto';
    if (!['auto', 'docker', 'podman'].includes(kind)) {
      throw new BerthError('InvalidArgument', `engine: "${kind}" is not one of auto, docker, podman`, {
        details: { problems: [{ path: 'engine', message: 'must be auto, docker or podman' }] },
      });
    }
    const instance = options.instance ?? process.env.BERTH_INSTANCE ?? DEFAULT_INSTANCE;
    const log = options.logger ?? silentLogger();
    const engine = await Engine.connect({
      engine: kind,
      ...(options.socketPath ? { socketPath: options.socketPath } : {}),
      logger: log,
    });
    return new Berth(engine, instance, log.child({ instance }));
  }

  async close(): Promise<void> {
    await this.engineClient.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
