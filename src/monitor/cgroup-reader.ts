import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawCounters } from '../engine/stats.js';

/** Where a process's cgroup files are: per controller (v1) or one unified directory (v2). */
export interface CgroupPaths {
  version: 1 | 2;
  pid: number;
  /** v1: controller → directory; v2: '' → directory. */
  dirs: Record<string, string>;
}

const num = async (file: string): Promise<number | undefined> => {
  const t = await readFile(file, 'utf8').catch(() => undefined);
  if (t === undefined) return undefined;
  const v = t.trim();
  return v === 'max' ? 0 : Number(v);
};

/** `key value` lines (memory.stat, cpu.stat) into a map. */
const kv = (text: string): Map<string, number> => new Map(text.split('\n').filter(Boolean).map((l) => { const [k, v] = l.split(/\s+/); return [k ?? '', Number(v)]; }));

/** Memory limits above this are "unlimited" (cgroup v1 reports a huge page-rounded number). */
const UNLIMITED = 2 ** 60;

/**
 * Reads a container's resource counters from the host's cgroup files and /proc, for a
 * daemon that shares the engine's host (as root). Finds the cgroup of the container's
 * PID 1 from /proc/<pid>/cgroup, so Docker's and Podman's layouts, cgroup v1 and v2,
 * need no special cases. Returns undefined when the files cannot be read (another host,
 * another PID namespace): callers then use the engine's stats API.
 */
export class CgroupReader {
  constructor(private readonly root = '/sys/fs/cgroup', private readonly proc = '/proc') {}

  async locate(pid: number): Promise<CgroupPaths | undefined> {
    if (!pid) return undefined;
    const text = await readFile(join(this.proc, String(pid), 'cgroup'), 'utf8').catch(() => undefined);
    if (!text) return undefined;
    const dirs: Record<string, string> = {};
    let unified: string | undefined;
    for (const line of text.trim().split('\n')) {
      const [, controllers, path] = line.split(':') as [string, string, string];
      if (controllers === '') unified = path;
      for (const c of controllers.split(',')) if (c) dirs[c] = join(this.root, c, path);
    }
    if (dirs.memory && dirs.cpuacct) return { version: 1, pid, dirs };
    if (unified !== undefined) return { version: 2, pid, dirs: { '': join(this.root, unified) } };
    return undefined;
  }

  async read(p: CgroupPaths): Promise<RawCounters | undefined> {
    const net = await this.net(p.pid);
    if (p.version === 1) {
      const d = p.dirs;
      const [cpuNs, mem, limit, pids, blk] = await Promise.all([
        num(join(d.cpuacct!, 'cpuacct.usage')),
        num(join(d.memory!, 'memory.usage_in_bytes')),
        num(join(d.memory!, 'memory.limit_in_bytes')),
        d.pids ? num(join(d.pids, 'pids.current')) : undefined,
        d.blkio ? readFile(join(d.blkio, 'blkio.throttle.io_service_bytes'), 'utf8').catch(() => '') : '',
      ]);
      if (cpuNs === undefined || mem === undefined) return undefined;
      const io = { read: 0, write: 0 };
      for (const line of blk.split('\n')) {
        const [, op, v] = line.split(' ');
        if (op === 'Read') io.read += Number(v);
        if (op === 'Write') io.write += Number(v);
      }
      const stat = kv(await readFile(join(d.memory!, 'memory.stat'), 'utf8').catch(() => ''));
      // Like `docker stats`: usage minus the inactive page cache.
      const cache = stat.get('total_inactive_file') ?? 0;
      return { cpuNs, memoryBytes: Math.max(0, mem - cache), memoryLimitBytes: (limit ?? 0) >= UNLIMITED ? 0 : (limit ?? 0), netRxBytes: net.rx, netTxBytes: net.tx, blockReadBytes: io.read, blockWriteBytes: io.write, pids: pids ?? 0 };
    }
    const dir = p.dirs['']!;
    const [cpuStat, mem, limit, pids, ioStat, memStat] = await Promise.all([
      readFile(join(dir, 'cpu.stat'), 'utf8').catch(() => undefined),
      num(join(dir, 'memory.current')),
      num(join(dir, 'memory.max')),
      num(join(dir, 'pids.current')),
      readFile(join(dir, 'io.stat'), 'utf8').catch(() => ''),
      readFile(join(dir, 'memory.stat'), 'utf8').catch(() => ''),
    ]);
    if (cpuStat === undefined || mem === undefined) return undefined;
    const io = { read: 0, write: 0 };
    for (const m of ioStat.matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) {
      io.read += Number(m[1]);
      io.write += Number(m[2]);
    }
    const inactive = kv(memStat).get('inactive_file') ?? 0;
    return {
      cpuNs: (kv(cpuStat).get('usage_usec') ?? 0) * 1000,
      memoryBytes: Math.max(0, mem - inactive),
      memoryLimitBytes: limit ?? 0,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
      blockReadBytes: io.read,
      blockWriteBytes: io.write,
      pids: pids ?? 0,
    };
  }

  /** OOM kills in the cgroup so far (v1 memory.oom_control, v2 memory.events); undefined when unreadable. */
  async oomKills(p: CgroupPaths): Promise<number | undefined> {
    const file = p.version === 1 ? join(p.dirs.memory!, 'memory.oom_control') : join(p.dirs['']!, 'memory.events');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (kv(text).get('oom_kill') ?? 0);
  }

  /** Bytes received and sent on every interface but lo, from the container's network namespace. */
  private async net(pid: number): Promise<{ rx: number; tx: number }> {
    const text = await readFile(join(this.proc, String(pid), 'net', 'dev'), 'utf8').catch(() => '');
    let rx = 0;
    let tx = 0;
    for (const line of text.split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!rest || name?.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      rx += f[0] ?? 0;
      tx += f[8] ?? 0;
    }
    return { rx, tx };
  }
}
