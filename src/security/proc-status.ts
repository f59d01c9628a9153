/** What berth reads of a container's PID 1 from `/proc/1/status` and `/proc/1/limits`. */
export interface ProcessSecurity {
  /** 0 off, 1 strict, 2 filter (a seccomp profile is loaded). */
  seccomp: number;
  noNewPrivs: boolean;
  capEff: bigint;
  /** Soft and hard limits of open files; undefined when unlimited. */
  maxOpenFiles?: { soft: number | undefined; hard: number | undefined };
  /** Effective uid (the `Uid:` line's second field). */
  uid?: number;
  /** The host uid the container's uid 0 maps to, from `/proc/<pid>/uid_map` when given (0: the host's root). */
  rootHostUid?: number;
}

/**
 * Parses the text of `/proc/<pid>/status` (and optionally `/proc/<pid>/limits` and
 * `/proc/<pid>/uid_map`, in `limits` or appended); undefined when fields are missing.
 */
export function parseProcStatus(status: string, limits = ''): ProcessSecurity | undefined {
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))?.[1];
  const seccomp = field('Seccomp');
  const nnp = field('NoNewPrivs');
  const capEff = field('CapEff');
  if (seccomp === undefined || nnp === undefined || capEff === undefined) return undefined;
  const files = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
  const num = (s: string | undefined) => (s === undefined || s === 'unlimited' ? undefined : Number(s));
  const uid = status.match(/^Uid:\s*\d+\s+(\d+)/m)?.[1];
  const map = limits.match(/^\s*0\s+(\d+)\s+\d+\s*$/m)?.[1];
  return {
    ...(uid !== undefined ? { uid: Number(uid) } : {}),
    ...(map !== undefined ? { rootHostUid: Number(map) } : {}),
    seccomp: Number(seccomp),
    noNewPrivs: nnp === '1',
    capEff: BigInt(`0x${capEff}`),
    ...(files ? { maxOpenFiles: { soft: num(files[1]), hard: num(files[2]) } } : {}),
  };
}
