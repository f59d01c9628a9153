import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import type { ContainerSpec } from '../spec/container-spec.js';
import { parseSize } from '../spec/size.js';
import type { SessionMounts } from './volume-manager.js';

/** The volumes a session asks for (engine backend only). */
export interface SessionVolumesRequest {
  /** The base dir on a volume owned by the session, or on a tmpfs of `size` (e.g. `256m`). Default: the container's own filesystem. */
  workspace?: { type: 'volume' } | { type: 'tmpfs'; size: string };
  /** Cache volumes shared by every session that names the same `key`, mounted at `target` (absolute). */
  caches?: Array<{ key: string; target: string }>;
  /** A logs volume owned by the session, at `target` (default `/var/log/berth`). */
  logs?: boolean | { target?: string };
}

/** Default mount point of a session's logs volume. */
export const DEFAULT_LOGS_TARGET = '/var/log/berth';

const absPath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

export const sessionVolumesSchema = z
  .strictObject({
    workspace: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('volume') }),
        z.strictObject({
          type: z.literal('tmpfs'),
          size: z.string().refine((s) => (parseSize(s) ?? 0) > 0, 'is not a size such as 256m'),
        }),
      ])
      .optional(),
    caches: z.array(z.strictObject({ key: z.string().min(1).max(512), target: absPath })).max(32).optional(),
    logs: z.union([z.boolean(), z.strictObject({ target: absPath.optional() })]).optional(),
  })
  .superRefine((v, ctx) => {
    const targets = new Map<string, string>();
    const claim = (target: string, path: (string | number)[]) => {
      const t = posix.normalize(target);
      const other = targets.get(t);
      if (other) ctx.addIssue({ code: 'custom', path, message: `mounts at ${t}, as ${other} does` });
      else targets.set(t, path.join('.'));
    };
    v.caches?.forEach((c, i) => claim(c.target, ['caches', i, 'target']));
    if (v.logs) claim(typeof v.logs === 'object' && v.logs.target ? v.logs.target : DEFAULT_LOGS_TARGET, ['logs']);
  });

/** A session's workspace volume. */
export const workspaceVolumeName = (sessionId: string): string => `berth-ws-${sessionId}`;

/** A session's logs volume. */
export const logsVolumeName = (sessionId: string): string => `berth-logs-${sessionId}`;

/** The cache volume for a key: the same for every session of one berth instance that names the key. */
export function cacheVolumeName(instance: string, key: string): string {
  return `berth-cache-${createHash('sha256').update(`${instance}\0${key}`).digest('hex').slice(0, 24)}`;
}

/** True for the names berth gives session volumes: `berth-ws-…`, `berth-logs-…`, `berth-cache-…`. */
export function isSessionVolumeName(name: string): boolean {
  return /^berth-(ws|logs|cache)-/.test(name);
}

/**
 * A spec's mounts and tmpfs with a session's volumes added. A workspace volume replaces a
 * tmpfs at the base dir (the strict profile's); a tmpfs workspace keeps the strict one's
 * owner options (`uid=`, `gid=`) with the requested size.
 */
export function withSessionMounts(spec: Pick<ContainerSpec, 'mounts' | 'tmpfs'>, vols: SessionMounts, baseDir: string): Pick<ContainerSpec, 'mounts' | 'tmpfs'> {
  const tmpfs = { ...spec.tmpfs };
  if (vols.mounts.some((m) => m.target === baseDir)) delete tmpfs[baseDir];
  for (const [path, options] of Object.entries(vols.tmpfs)) {
    const owner = (tmpfs[path] ?? '').split(',').filter((o) => /^(uid|gid)=/.test(o));
    tmpfs[path] = [options, ...owner].join(',');
  }
  return { mounts: [...(spec.mounts ?? []), ...vols.mounts], tmpfs };
}
