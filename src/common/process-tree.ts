import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to a process group; a group that is gone is not an error. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pgid) process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** The ids of `pid`'s descendants (children, their children …), read from /proc; empty where it cannot be read. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Signals a process group and every descendant of its leader, those that left the group
 * too (a container runtime's processes start sessions of their own).
 */
export function signalTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  const tree = descendants(pid);
  signalGroup(pid, signal);
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** Fields of /proc/<pid>/stat after `(comm)`: [0] state, [2] pgrp, [19] starttime. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When `pid` started (clock ticks after boot); undefined when it is gone or a zombie. */
export function startTimeOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f && f[0] !== 'Z' ? Number(f[19]) : undefined;
}

/**
 * True when process group `pgid` is the one berth started and recorded, not an unrelated
 * one that reused the id: its leader still runs with the recorded start time, or a live
 * member carries `name=value` in its environment.
 */
export function sameGroup(pgid: number, leaderStart: number | undefined, name: string, value: string): boolean {
  if (leaderStart !== undefined && startTimeOf(pgid) === leaderStart) return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  const needle = `${name}=${value}`;
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(statFields(e)?.[2]) !== pgid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(needle)) return true;
    } catch {
      // gone, or a zombie
    }
  }
  return false;
}
