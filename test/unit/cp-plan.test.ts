import { describe, expect, it } from 'vitest';
import { planCopy } from '../../src/files/cp-rules.js';
import { mountLayoutOf } from '../../src/files/engine-files.js';
import type { InspectInfo } from '../../src/engine/engine.js';
import type { FileType } from '../../src/files/file-entry.js';

const world = (types: Record<string, FileType>) => async (p: string) => types[p];
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as { code?: string }).code;

describe("planCopy: docker cp's rules as data", () => {
  const typeAt = world({ '/w': 'directory', '/w/keep': 'directory', '/w/f': 'file' });
  const plan = (src: string, srcType: FileType, dest: string) =>
    planCopy({ src, srcResolved: src.replace(/\/\.?$/, ''), srcType, dest, destResolved: dest.replace(/\/$/, ''), typeAt });

  it('a file goes into an existing directory, over a file, or to a new name', async () => {
    expect(await plan('/h/h.txt', 'file', '/w/keep/')).toEqual({ into: '/w/keep', as: 'h.txt' });
    expect(await plan('/h/h.txt', 'file', '/w')).toEqual({ into: '/w', as: 'h.txt' });
    expect(await plan('/h/h.txt', 'file', '/w/f')).toEqual({ into: '/w', as: 'f' });
    expect(await plan('/h/h.txt', 'file', '/w/new')).toEqual({ into: '/w', as: 'new' });
  });

  it('a directory under its own name, as DEST, or only its contents with /.', async () => {
    expect(await plan('/h/proj', 'directory', '/w/')).toEqual({ into: '/w', as: 'proj' });
    expect(await plan('/h/proj', 'directory', '/w/new/')).toEqual({ into: '/w', as: 'new' });
    expect(await plan('/h/proj/.', 'directory', '/w/keep')).toEqual({ into: '/w/keep' });
  });

  it('refuses what docker cp refuses', async () => {
    expect(await code(plan('/h/h.txt', 'file', '/w/new/'))).toBe('NotFound');
    expect(await code(plan('/h/h.txt', 'file', '/w/f/'))).toBe('Conflict');
    expect(await code(plan('/h/h.txt/', 'file', '/w/x'))).toBe('InvalidArgument');
    expect(await code(plan('/h/proj', 'directory', '/w/f'))).toBe('Conflict');
    expect(await code(plan('/h/proj', 'directory', '/nope/x'))).toBe('NotFound');
    expect(await code(plan('/h/link', 'symlink', '/w/x'))).toBe('InvalidArgument');
  });
});

describe('mountLayoutOf', () => {
  it('finds tmpfs mounts from HostConfig.Tmpfs and Mounts, and where a read-only root can be written', () => {
    const info = {
      HostConfig: { Tmpfs: { '/workspace': 'size=1m', '/tmp': '' }, ReadonlyRootfs: true },
      Mounts: [
        { Type: 'tmpfs', Destination: '/scratch', RW: true },
        { Type: 'volume', Destination: '/cache', RW: true },
        { Type: 'bind', Destination: '/ro', RW: false },
      ],
    } as unknown as InspectInfo;
    expect(mountLayoutOf(info)).toEqual({ tmpfs: ['/workspace', '/tmp', '/scratch'], writable: ['/workspace', '/tmp', '/scratch', '/cache'], readOnlyRoot: true });
  });
});
