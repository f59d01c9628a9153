import { posix } from 'node:path';
import { BerthError } from '../common/errors.js';
import type { FileType } from './file-entry.js';

/**
 * Where a copy lands, by `docker cp`'s rules: the source's top entry goes into the
 * existing directory `into` under the name `as`, or, without `as`, a directory's
 * contents go straight into `into`.
 */
export interface CopyPlan {
  into: string;
  as?: string;
}

export interface PlanCopyOptions {
  /** The source as typed: a trailing `/` or `/.` matters. */
  src: string;
  /** The source resolved (absolute, normalised); its basename names the copy. */
  srcResolved: string;
  srcType: FileType;
  /** The destination as typed: a trailing `/` matters. */
  dest: string;
  /** The destination resolved (absolute, normalised). */
  destResolved: string;
  /** The type of a path on the destination's side, undefined when it does not exist. */
  typeAt(path: string): Promise<FileType | undefined>;
}

/** `SRC/.`: a directory's contents, not the directory (docker cp). */
export function wantsContents(src: string): boolean {
  return src === '.' || src.endsWith('/.');
}

const endsWithSlash = (p: string) => p.endsWith('/') || wantsContents(p);

/**
 * docker cp's rule table (docs.docker.com/reference/cli/docker/container/cp):
 * - SRC is a file: DEST missing → a file at DEST (its parent must exist); DEST missing
 *   and ending with `/` → error (the directory must exist); DEST a file → overwritten;
 *   DEST a directory → the file goes into it under its own name.
 * - SRC is a directory: DEST missing → created, with SRC's contents (its parent must
 *   exist); DEST a file → error; DEST a directory → SRC goes into it under its own name,
 *   or only SRC's contents when SRC ends with `/.`.
 * Errors: NotFound (a directory that must exist does not), Conflict (a directory
 * would replace a file, or a `/` names a file), InvalidArgument (SRC ends with `/` but is a file).
 */
export async function planCopy(o: PlanCopyOptions): Promise<CopyPlan> {
  if (o.srcType !== 'file' && o.srcType !== 'directory') {
    throw new BerthError('InvalidArgument', `${o.src} is a ${o.srcType === 'symlink' ? 'symlink' : 'special file'}; cp copies regular files and directories (copy a link's target by its own path)`, {
      details: { path: o.src, type: o.srcType },
    });
  }
  if (o.srcType === 'file' && endsWithSlash(o.src)) {
    throw new BerthError('InvalidArgument', `${o.src} ends with "/" but ${o.srcResolved} is a file, not a directory; drop the trailing "/"`, { details: { path: o.src } });
  }
  const destType = await o.typeAt(o.destResolved);
  if (destType === 'directory') {
    if (o.srcType === 'directory' && wantsContents(o.src)) return { into: o.destResolved };
    return { into: o.destResolved, as: posix.basename(o.srcResolved) };
  }
  if (destType !== undefined) {
    if (o.srcType === 'directory') {
      throw new BerthError('Conflict', `cannot copy a directory to a file: ${o.destResolved} is a ${destType}; name a directory, or a path that does not exist yet`, {
        details: { path: o.dest, type: destType },
      });
    }
    if (o.dest.endsWith('/')) {
      throw new BerthError('Conflict', `${o.dest} ends with "/" but ${o.destResolved} is a ${destType}, not a directory`, { details: { path: o.dest, type: destType } });
    }
    return { into: posix.dirname(o.destResolved), as: posix.basename(o.destResolved) };
  }
  if (o.srcType === 'file' && o.dest.endsWith('/')) {
    throw new BerthError('NotFound', `the destination directory ${o.destResolved} does not exist; create it first, or drop the trailing "/" to copy to a file of that name`, {
      details: { path: o.dest },
    });
  }
  const parent = posix.dirname(o.destResolved);
  const parentType = await o.typeAt(parent);
  if (parentType !== 'directory') {
    throw new BerthError('NotFound', `the directory ${parent} does not exist${parentType ? ` (it is a ${parentType})` : ''}; create it first`, {
      details: { path: o.dest, parent },
    });
  }
  return { into: parent, as: posix.basename(o.destResolved) };
}
