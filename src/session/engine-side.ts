import type { Engine } from '../engine/engine.js';
import type { ContainerManager } from '../lifecycle/container-manager.js';
import type { EngineFiles } from '../files/engine-files.js';
import type { VolumeManager } from '../volume/volume-manager.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ImagesApi } from '../image/images-api.js';

/** The engine side of berth: absent when it runs without an engine (local backend only). */
export interface EngineSide {
  engine: Engine;
  containers: ContainerManager;
  /** File operations on containers, tmpfs mounts included (the base dir is created on start). */
  files: EngineFiles;
  /** Session volumes (workspace, caches, logs), removed per the cleanup policy when a session ends. */
  volumes: VolumeManager;
  /** Session networks (the `isolated` policy). */
  networks: NetworkManager;
  /** Builds a session's `variant` image when it is missing or stale. */
  images?: Pick<ImagesApi, 'ensureBaseImage'>;
}
