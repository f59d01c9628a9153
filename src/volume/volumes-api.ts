import { z } from 'zod';
import type { CleanupPolicy, GcReason } from './cleanup-policy.js';
import { VOLUME_KINDS, type Volume, type VolumeKind } from './volume.js';

/** Engine volume names: letters, digits, `_ . -`, starting with a letter or digit. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export interface CreateVolumeRequest {
  /** Letters, digits, `_ . -` (up to 128). Creating an existing one of the same kind returns it. */
  name: string;
  /** Default `cache`. */
  kind?: VolumeKind;
  labels?: Record<string, string>;
}

export const createVolumeSchema = z.strictObject({
  name: z.string().regex(VOLUME_NAME, 'may use letters, digits, _ . - (up to 128), starting with a letter or digit'),
  kind: z.enum(VOLUME_KINDS as [VolumeKind, ...VolumeKind[]]).optional(),
  labels: z.record(z.string().min(1), z.string()).optional(),
});

export interface ListVolumesRequest {
  kind?: VolumeKind;
  /** Only the volumes this session owns. */
  session?: string;
  /** All of these labels must match. */
  labels?: Record<string, string>;
}

export const listVolumesSchema = z.strictObject({
  kind: z.enum(VOLUME_KINDS as [VolumeKind, ...VolumeKind[]]).optional(),
  session: z.string().min(1).optional(),
  labels: z.record(z.string().min(1), z.string()).optional(),
});

export interface RemoveVolumeResult {
  name: string;
  /** False when there was no such volume (removing twice is not an error). */
  removed: boolean;
}

export interface PruneVolumesResult {
  /** Names removed: this instance's volumes that no container mounts. */
  removed: string[];
  /** Sum of their measured sizes, bytes. */
  reclaimedBytes: number;
}

export interface GcOptions {
  /** Only say what would be removed. Default false. */
  dryRun?: boolean;
}

export const gcOptionsSchema = z.strictObject({ dryRun: z.boolean().optional() });

export interface GcEntry {
  name: string;
  kind: VolumeKind;
  reason: GcReason;
  sizeBytes?: number;
  ownerSessionId?: string;
  lastUsedAt: string;
  /** False on a dry run, or when removal failed (`error` says why). */
  removed: boolean;
  error?: string;
}

export interface GcResult {
  dryRun: boolean;
  at: string;
  policy: CleanupPolicy;
  entries: GcEntry[];
  /** Volumes left, and their total measured size in bytes. */
  keptCount: number;
  keptBytes: number;
}

/** Volumes of this berth instance: the same interface in-process (`berth.volumes`) and through the daemon (`client.volumes`). */
export interface VolumesApi {
  /** Idempotent by name: an existing volume of the same kind is returned; another kind, or a volume berth does not own, is `Conflict`. */
  create(request: CreateVolumeRequest): Promise<Volume>;
  list(request?: ListVolumesRequest): Promise<Volume[]>;
  /** `NotFound` when this instance has no such volume. Measures its size. */
  inspect(name: string): Promise<Volume>;
  /** `Conflict` (naming the containers) while a container mounts it. */
  remove(name: string): Promise<RemoveVolumeResult>;
  /** Removes every volume of this instance that no container mounts. */
  prune(): Promise<PruneVolumesResult>;
  /** Applies the cleanup policy (or, with `dryRun`, says what it would remove and why). */
  gc(options?: GcOptions): Promise<GcResult>;
}
