import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResourceSample } from './resource-sample.js';

export interface DaemonMetricsOptions {
  /** Sessions per state, read at scrape time. */
  sessionsByState: () => Record<string, number>;
  /** Per-session series are kept for at most this many sessions (label cardinality); default 1000. */
  maxSessionSeries?: number;
}

/**
 * The daemon's Prometheus metrics, in a registry of its own (no global state): process
 * defaults, HTTP requests and latencies by route template, engine calls by operation,
 * sessions by state, sampling time, and per-session CPU / memory / pids of the newest tick.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly engineCalls: Counter<'op' | 'outcome'>;
  private readonly engineLatency: Histogram<'op'>;
  private readonly tick: Histogram;
  private readonly cpu: Gauge<'session'>;
  private readonly memory: Gauge<'session'>;
  private readonly pids: Gauge<'session'>;
  private readonly max: number;

  constructor(o: DaemonMetricsOptions) {
    const registers = [this.registry];
    this.max = o.maxSessionSeries ?? 1000;
    // The event-loop delay monitor samples every 10 ms by default: about 1 % of a core on its own.
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_', eventLoopMonitoringPrecision: 500 });
    this.requests = new Counter({ name: 'berth_http_requests_total', help: 'HTTP requests by method, route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.latency = new Histogram({ name: 'berth_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers });
    this.engineCalls = new Counter({ name: 'berth_engine_calls_total', help: 'Engine API calls by operation and outcome', labelNames: ['op', 'outcome'], registers });
    this.engineLatency = new Histogram({ name: 'berth_engine_call_duration_seconds', help: 'Engine API call latency', labelNames: ['op'], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10], registers });
    this.tick = new Histogram({ name: 'berth_sample_tick_seconds', help: 'Time to sample every running session once', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5], registers });
    this.cpu = new Gauge({ name: 'berth_session_cpu_percent', help: 'CPU of a session, % of one core (newest sample)', labelNames: ['session'], registers });
    this.memory = new Gauge({ name: 'berth_session_memory_bytes', help: 'Memory of a session (newest sample)', labelNames: ['session'], registers });
    this.pids = new Gauge({ name: 'berth_session_pids', help: 'Processes of a session (newest sample)', labelNames: ['session'], registers });
    const byState = o.sessionsByState;
    new Gauge({
      name: 'berth_sessions',
      help: 'Sessions by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(byState())) this.set({ state }, n);
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  engineCall(op: string, ok: boolean, seconds: number): void {
    this.engineCalls.inc({ op, outcome: ok ? 'ok' : 'error' });
    this.engineLatency.observe({ op }, seconds);
  }

  /** Replaces the per-session series with this tick's (bounded to `maxSessionSeries`). */
  samples(samples: ResourceSample[], tickMs: number): void {
    this.tick.observe(tickMs / 1000);
    this.cpu.reset();
    this.memory.reset();
    this.pids.reset();
    for (const s of samples.slice(0, this.max)) {
      this.cpu.set({ session: s.sessionId }, s.cpuPercent);
      this.memory.set({ session: s.sessionId }, s.memoryBytes);
      this.pids.set({ session: s.sessionId }, s.pids);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
