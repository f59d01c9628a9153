import { readFile, readlink } from 'node:fs/promises';

/** Clock ticks per second of /proc/PID/stat's start time (USER_HZ: 100 on every Linux berth runs on). */
const USER_HZ = 100;

/** Seconds since boot, from /proc/uptime; undefined off Linux. */
export async function uptimeSeconds(): Promise<number | undefined> {
  const text = await readFile('/proc/uptime', 'utf8').catch(() => undefined);
  return text ? Number(text.split(' ')[0]) : undefined;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined. */
export async function startTicks(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

export interface ContainerProcessProof {
  /** The container's full id (64 hex): it must appear in the process's cgroup path. */
  containerId: string;
  /** The container's main process as the engine reports it (State.Pid); 0 when unknown. */
  containerPid: number;
  /** Seconds since boot when the exec was created: a process older than that is not it (PID reuse). */
  notBeforeUptime: number;
}

/**
 * Proves that host PID `pid` is a process of the container before anyone signals it, as
 * far as this host can see: its cgroup names the container's full id; its PID namespace
 * is not this process's (a PID from an engine in a VM or another namespace names some
 * unrelated process here) and is the container's main process's; and it started after
 * the exec was created (a reused PID is younger). Returns the start time proven (to be
 * checked again right before the signal), or undefined when anything does not hold.
 */
export async function proveContainerProcess(pid: number, p: ContainerProcessProof): Promise<number | undefined> {
  if (!Number.isInteger(pid) || pid <= 1 || !/^[0-9a-f]{64}$/.test(p.containerId)) return undefined;
  const [cgroup, ns, ours, theirs, started] = await Promise.all([
    readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''),
    readlink(`/proc/${pid}/ns/pid`).catch(() => undefined),
    readlink('/proc/self/ns/pid').catch(() => undefined),
    p.containerPid > 0 ? readlink(`/proc/${p.containerPid}/ns/pid`).catch(() => undefined) : Promise.resolve(undefined),
    startTicks(pid),
  ]);
  if (!cgroup.split('\n').some((line) => line.includes(p.containerId))) return undefined;
  if (!ns || !ours || ns === ours || theirs === undefined || ns !== theirs) return undefined;
  if (started === undefined || started / USER_HZ < p.notBeforeUptime - 1) return undefined;
  return started;
}
