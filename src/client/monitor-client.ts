import type { HealthReport } from '../health/health-policy.js';
import type { BerthEvent } from '../monitor/event-bus.js';
import type { ResourceSample } from '../monitor/resource-sample.js';
import type { Rollup, StoredAlert } from '../store/monitor-repository.js';
import { call, errorFrom, open, query, seg, type Endpoint } from './http.js';

/** Samples, alerts, health and the event stream, through the daemon. */
export class MonitorClient {
  constructor(private readonly ep: Endpoint) {}

  /** The newest sample of every running session (or of one). */
  stats(session?: string, options: { fresh?: boolean } = {}): Promise<ResourceSample[]> {
    return call(this.ep, 'GET', `/v1/stats?${query({ session, fresh: options.fresh ? 'true' : undefined })}`);
  }

  history(session: string, o: { sinceMs?: number; rollups?: boolean } = {}): Promise<ResourceSample[] | Rollup[]> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(session)}/stats?${query({ sinceMs: o.sinceMs, rollups: o.rollups ? 'true' : undefined })}`);
  }

  alerts(o: { state?: 'firing' | 'resolved'; session?: string; limit?: number } = {}): Promise<StoredAlert[]> {
    return call(this.ep, 'GET', `/v1/alerts?${query(o)}`);
  }

  health(session: string): Promise<HealthReport> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(session)}/health`);
  }

  /** Follows `GET /v1/events` (server-sent events) until `close()`. */
  async events(o: { session?: string } = {}): Promise<{ events: AsyncIterable<BerthEvent>; close(): void }> {
    const res = await open(this.ep, 'GET', `/v1/events?${query(o)}`);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    const { createInterface } = await import('node:readline');
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    async function* parse(): AsyncIterable<BerthEvent> {
      for await (const line of lines) if (line.startsWith('data: ')) yield JSON.parse(line.slice(6)) as BerthEvent;
    }
    return { events: parse(), close: () => (lines.close(), res.destroy()) };
  }

  /** Prometheus text from `/metrics`. */
  async metrics(): Promise<string> {
    const res = await open(this.ep, 'GET', '/metrics');
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    let text = '';
    for await (const c of res) text += (c as Buffer).toString();
    return text;
  }
}
