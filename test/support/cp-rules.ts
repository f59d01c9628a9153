import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { BerthClient } from '../../src/client/client.js';
import { runCli } from './daemon.js';

/**
 * docker cp's rule table, from its documentation
 * (https://docs.docker.com/reference/cli/docker/container/cp/):
 *
 * SRC_PATH specifies a file
 *   DEST_PATH does not exist: the file is saved to a file created at DEST_PATH
 *   DEST_PATH does not exist and ends with /: error, the destination directory must exist
 *   DEST_PATH exists and is a file: the destination is overwritten with the source file's contents
 *   DEST_PATH exists and is a directory: the file is copied into this directory using the basename from SRC_PATH
 * SRC_PATH specifies a directory
 *   DEST_PATH does not exist: DEST_PATH is created as a directory and the contents of the source directory are copied into it
 *   DEST_PATH exists and is a file: error, cannot copy a directory to a file
 *   DEST_PATH exists and is a directory
 *     SRC_PATH does not end with /. : the source directory is copied into this directory
 *     SRC_PATH does end with /. : the content of the source directory is copied into this directory
 * And: "docker cp does not create parent directories for DEST_PATH"; a SRC_PATH ending
 * with / that is a file, and a DEST_PATH ending with / that is a file, are errors (not a directory).
 *
 * Each row: the source (file `src.txt` = "S", or directory `proj` = a.txt "A", sub/b.txt "B"),
 * the suffix typed after it, the state of `dst` before, the destination as typed (relative to
 * the case's root), and the root's tree after (`name/` a directory, `name=content` a file),
 * or the error's code (the tree then stays as it was).
 */
export interface CpRule {
  rule: string;
  src: 'file' | 'dir';
  srcSuffix: '' | '/' | '/.';
  before: 'missing' | 'file' | 'dir';
  dest: string;
  after?: string[];
  error?: 'NotFound' | 'Conflict' | 'InvalidArgument';
}

const DIR_CONTENTS = (at: string) => [`${at}/`, `${at}/a.txt=A`, `${at}/sub/`, `${at}/sub/b.txt=B`];
const KEPT = ['dst/', 'dst/keep.txt=KEEP'];

export const CP_RULES: CpRule[] = [
  { rule: 'file, DEST missing: a file created at DEST', src: 'file', srcSuffix: '', before: 'missing', dest: 'dst', after: ['dst=S'] },
  { rule: 'file, DEST missing and ends with /: error, the directory must exist', src: 'file', srcSuffix: '', before: 'missing', dest: 'dst/', error: 'NotFound' },
  { rule: 'file, DEST an existing file: overwritten', src: 'file', srcSuffix: '', before: 'file', dest: 'dst', after: ['dst=S'] },
  { rule: 'file, DEST an existing file written with /: error, not a directory', src: 'file', srcSuffix: '', before: 'file', dest: 'dst/', error: 'Conflict' },
  { rule: 'file, DEST an existing directory: copied into it under its own name', src: 'file', srcSuffix: '', before: 'dir', dest: 'dst', after: [...KEPT, 'dst/src.txt=S'] },
  { rule: 'file, DEST an existing directory written with /: copied into it under its own name', src: 'file', srcSuffix: '', before: 'dir', dest: 'dst/', after: [...KEPT, 'dst/src.txt=S'] },
  { rule: 'file written with /: error, not a directory', src: 'file', srcSuffix: '/', before: 'missing', dest: 'dst', error: 'InvalidArgument' },
  { rule: "file, DEST's parent missing: error (no parents are created)", src: 'file', srcSuffix: '', before: 'missing', dest: 'nope/dst', error: 'NotFound' },
  { rule: "directory, DEST missing: created, with the directory's contents", src: 'dir', srcSuffix: '', before: 'missing', dest: 'dst', after: DIR_CONTENTS('dst') },
  { rule: "directory, DEST missing and ends with /: created, with the directory's contents", src: 'dir', srcSuffix: '', before: 'missing', dest: 'dst/', after: DIR_CONTENTS('dst') },
  { rule: 'directory, DEST an existing file: error, cannot copy a directory to a file', src: 'dir', srcSuffix: '', before: 'file', dest: 'dst', error: 'Conflict' },
  { rule: 'directory, DEST an existing directory: copied into it under its own name', src: 'dir', srcSuffix: '', before: 'dir', dest: 'dst', after: [...KEPT, ...DIR_CONTENTS('dst/proj')] },
  { rule: 'directory, DEST an existing directory written with /: copied into it', src: 'dir', srcSuffix: '', before: 'dir', dest: 'dst/', after: [...KEPT, ...DIR_CONTENTS('dst/proj')] },
  { rule: 'directory written with / (not /.), DEST an existing directory: copied into it', src: 'dir', srcSuffix: '/', before: 'dir', dest: 'dst', after: [...KEPT, ...DIR_CONTENTS('dst/proj')] },
  { rule: 'SRC/., DEST an existing directory: only the contents are copied into it', src: 'dir', srcSuffix: '/.', before: 'dir', dest: 'dst', after: [...KEPT, 'dst/a.txt=A', 'dst/sub/', 'dst/sub/b.txt=B'] },
  { rule: 'SRC/., DEST missing: created, with the contents', src: 'dir', srcSuffix: '/.', before: 'missing', dest: 'dst', after: DIR_CONTENTS('dst') },
  { rule: "directory, DEST's parent missing: error", src: 'dir', srcSuffix: '', before: 'missing', dest: 'nope/dst', error: 'NotFound' },
];

const srcName = (r: CpRule) => (r.src === 'file' ? 'src.txt' : 'proj');
const initial = (r: CpRule) => (r.before === 'file' ? ['dst=OLD'] : r.before === 'dir' ? KEPT : []);

/** Makes a rule's source (`S`) and `dst` state (`D`) in a shell, under the current directory. */
const SETUP_SH = `mkdir -p "$1" "$2" && (cd "$1" && printf S > src.txt && mkdir -p proj/sub && printf A > proj/a.txt && printf B > proj/sub/b.txt) && cd "$2" &&
case "$3" in file) printf OLD > dst ;; dir) mkdir dst && printf KEEP > dst/keep.txt ;; esac`;
/** The tree under "$1": `name/` for directories, `name=content` for files. */
const TREE_SH = `cd "$1" 2>/dev/null || exit 0
find . -mindepth 1 | while IFS= read -r f; do if [ -d "$f" ]; then echo "\${f#./}/"; else echo "\${f#./}=$(cat "$f")"; fi; done`;

function hostSetup(srcDir: string, root: string, before: CpRule['before']): void {
  mkdirSync(join(srcDir, 'proj', 'sub'), { recursive: true });
  writeFileSync(join(srcDir, 'src.txt'), 'S');
  writeFileSync(join(srcDir, 'proj', 'a.txt'), 'A');
  writeFileSync(join(srcDir, 'proj', 'sub', 'b.txt'), 'B');
  mkdirSync(root, { recursive: true });
  if (before === 'file') writeFileSync(join(root, 'dst'), 'OLD');
  if (before === 'dir') {
    mkdirSync(join(root, 'dst'));
    writeFileSync(join(root, 'dst', 'keep.txt'), 'KEEP');
  }
}

function hostTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) {
        out.push(`${r}/`);
        walk(p, r);
      } else out.push(`${r}=${readFileSync(p, 'utf8')}`);
    }
  };
  walk(root, '');
  return out.sort();
}

export interface CpRulesContext {
  socket: string;
  client: BerthClient;
  /** The session's id (made in beforeAll). */
  session: string;
  /** A host directory of this suite's own. */
  hostDir: string;
}

/**
 * Every row of CP_RULES in both directions, through `berth cp`; session paths are
 * relative to the session's base dir, so the same rows run on every backend.
 */
export function cpRuleTests(ctx: () => CpRulesContext): void {
  const sh = async (script: string, ...args: string[]) => {
    const c = ctx();
    const s = await c.client.sessions.get(c.session);
    const r = await c.client.sessions.exec(c.session, { cmd: ['sh', '-c', script, 'sh', ...args], workdir: s.baseDir });
    expect(r.stderr).toBe('');
    return r.stdout;
  };

  it.each(CP_RULES.map((r, i) => [i, r.rule, r] as const))('in, row %i: %s', async (i, _rule, r) => {
    const c = ctx();
    const hostSrc = join(c.hostDir, `in-${i}`);
    hostSetup(hostSrc, join(c.hostDir, `in-${i}-unused`), 'missing');
    await sh(SETUP_SH, `in-${i}-unused-src`, `in-${i}`, r.before);
    const res = await runCli(c.socket, ['cp', `${join(hostSrc, srcName(r))}${r.srcSuffix}`, `${c.session}:in-${i}/${r.dest}`]);
    const tree = (await sh(TREE_SH, `in-${i}`)).split('\n').filter(Boolean).sort();
    if (r.error) {
      expect(res.stderr).toContain(`[${r.error}]`);
      expect(res.code).not.toBe(0);
      expect(tree).toEqual(initial(r).sort());
    } else {
      expect(res.stderr).not.toContain('error');
      expect(res.code).toBe(0);
      expect(tree).toEqual([...r.after!].sort());
    }
  });

  it.each(CP_RULES.map((r, i) => [i, r.rule, r] as const))('out, row %i: %s', async (i, _rule, r) => {
    const c = ctx();
    const root = join(c.hostDir, `out-${i}`);
    hostSetup(join(c.hostDir, `out-${i}-unused`), root, r.before);
    await sh(SETUP_SH, `out-${i}`, `out-${i}-unused-dst`, 'missing');
    const res = await runCli(c.socket, ['cp', `${c.session}:out-${i}/${srcName(r)}${r.srcSuffix}`, join(root, r.dest) + (r.dest.endsWith('/') ? '/' : '')]);
    const tree = hostTree(root);
    if (r.error) {
      expect(res.stderr).toContain(`[${r.error}]`);
      expect(res.code).not.toBe(0);
      expect(tree).toEqual(initial(r).sort());
    } else {
      expect(res.stderr).not.toContain('error');
      expect(res.code).toBe(0);
      expect(tree).toEqual([...r.after!].sort());
    }
  });
}
