import type { EngineFiles } from './engine-files.js';

/**
 * Carries into a fork what an engine commit leaves out: the contents of the source's
 * tmpfs mounts among `dirs` (a strict session's base dir and /tmp), copied through tar
 * run in both containers. Returns the directories copied. Throws when a copy fails
 * (the fork must not come up without them).
 */
export async function carryTmpfsContents(files: EngineFiles, from: string, to: string, dirs: string[]): Promise<string[]> {
  const [src, dst] = await Promise.all([files.tmpfsMounts(from), files.tmpfsMounts(to)]);
  const copied: string[] = [];
  for (const dir of new Set(dirs)) {
    if (!src.includes(dir) || !dst.includes(dir)) continue;
    await files.execTar.copyContents(from, to, dir);
    copied.push(dir);
  }
  return copied;
}
