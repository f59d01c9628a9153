import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../common/errors.js';
import { planCopy } from './cp-rules.js';
import type { FileType } from './file-entry.js';
import { packHostPath, type CopyResult } from './host-copy.js';

/** The session side of a copy in: where it goes, and the two operations it needs there. */
export interface CopyInTarget {
  /** The destination as typed (a trailing `/` matters). */
  dest: string;
  /** The destination resolved in the session. */
  destResolved: string;
  /** The type of a session path, undefined when it does not exist. */
  typeAt(path: string): Promise<FileType | undefined>;
  /** Extracts a tar stream into an existing directory of the session. */
  put(dir: string, archive: Readable): Promise<void>;
}

/**
 * Copies a host file or directory into a session by docker cp's rules (see planCopy;
 * `hostPath` ending with `/.` copies a directory's contents), streaming.
 * Bytes: a file's content, else the archive's.
 */
export async function copyHostPathIn(hostPath: string, t: CopyInTarget): Promise<CopyResult> {
  // A trailing `/` or `/.` is the rules' business (planCopy), not the stat's: `file.txt/` is refused there.
  const st = await stat(hostPath.replace(/(\/\.)?\/*$/, '') || '/').catch(() => undefined);
  if (!st) throw new BerthError('NotFound', `host path ${hostPath} does not exist`, { details: { hostPath } });
  const srcType: FileType = st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  const plan = await planCopy({ src: hostPath, srcResolved: resolve(hostPath), srcType, dest: t.dest, destResolved: t.destResolved, typeAt: (p) => t.typeAt(p) });
  const counter = { bytes: 0 };
  const { archive } = await packHostPath(hostPath, plan.as, counter);
  await t.put(plan.into, archive);
  return counter;
}

/** The type at `path` from a stat that throws NotFound when it is missing. */
export async function typeOrUndefined(statOf: () => Promise<{ type: FileType }>): Promise<FileType | undefined> {
  try {
    return (await statOf()).type;
  } catch (err) {
    if (BerthError.is(err, 'NotFound')) return undefined;
    throw err;
  }
}
