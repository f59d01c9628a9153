import type { EngineFiles } from './engine-files.js';

/** Which of `dirs` are tmpfs mounts of container `id`: what an engine commit leaves out. */
export async function tmpfsAmong(files: EngineFiles, id: string, dirs: string[]): Promise<string[]> {
  const tmpfs = await files.tmpfsMounts(id);
  return [...new Set(dirs)].filter((d) => tmpfs.includes(d));
}

/**
 * Carries into a fork the contents of the source's tmpfs directories `dirs` (see
 * tmpfsAmong), copied through tar run in both containers. Throws when a copy fails (the
 * fork must not come up without them); a directory that is no tmpfs in the fork is skipped.
 */
export async function carryTmpfsContents(files: EngineFiles, from: string, to: string, dirs: string[]): Promise<void> {
  const dst = await files.tmpfsMounts(to);
  for (const dir of dirs) if (dst.includes(dir)) await files.execTar.copyContents(from, to, dir);
}
