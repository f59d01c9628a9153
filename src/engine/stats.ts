/** Cumulative counters of one container at one moment. */
export interface RawCounters {
  /** CPU time used, ns, since the container started. */
  cpuNs: number;
  memoryBytes: number;
  /** Memory limit, bytes; 0 when unlimited. */
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

/** The parts of `GET /containers/{id}/stats?stream=false` used here (Docker and Podman's compat API). */
export interface EngineStatsJson {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  pids_stats?: { current?: number };
}

/** Counters from the engine's stats JSON; memory like `docker stats` (usage minus inactive file cache). */
export function countersFromStats(s: EngineStatsJson): RawCounters {
  const m = s.memory_stats ?? {};
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  const limit = m.limit ?? 0;
  const io = { read: 0, write: 0 };
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') io.read += e.value;
    if (e.op.toLowerCase() === 'write') io.write += e.value;
  }
  const nets = Object.values(s.networks ?? {});
  return {
    cpuNs: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
    memoryBytes: Math.max(0, (m.usage ?? 0) - cache),
    memoryLimitBytes: limit >= 2 ** 60 ? 0 : limit,
    netRxBytes: nets.reduce((n, x) => n + (x.rx_bytes ?? 0), 0),
    netTxBytes: nets.reduce((n, x) => n + (x.tx_bytes ?? 0), 0),
    blockReadBytes: io.read,
    blockWriteBytes: io.write,
    pids: s.pids_stats?.current ?? 0,
  };
}
