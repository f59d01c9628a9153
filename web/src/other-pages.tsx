import { useState } from 'preact/hooks';
import { bytes, json, ms, seg } from './api';
import type { Alert } from './types';
import { Action, Badge, Loaded, recentEvents, useAsync, useEvents, type DaemonEvent } from './ui';

export function EventsPage() {
  const [events, setEvents] = useState<DaemonEvent[]>(() => [...recentEvents]);
  const alerts = useAsync(() => json<Alert[]>('/v1/alerts?limit=200'), []);
  useEvents((e) => {
    setEvents([...recentEvents]);
    if (e.type.startsWith('alert.')) alerts.reload();
  });
  return (
    <section>
      <header class="page-head">
        <h1>Events and alerts</h1>
      </header>
      <div class="grid">
        <section class="card">
          <h2>Alerts</h2>
          <Loaded a={alerts}>
            {(rows) =>
              rows.length === 0 ? (
                <p class="empty">No alerts.</p>
              ) : (
                <table>
                  <tbody>
                    {rows.map((a) => (
                      <tr>
                        <td>
                          <Badge state={a.state} />
                        </td>
                        <td>
                          <a href={`#/s/${seg(a.sessionId)}`}>{a.sessionId}</a>
                        </td>
                        <td>{String(a.kind ?? a.rule ?? '')}</td>
                        <td>{String(a.message ?? '')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </Loaded>
        </section>
        <section class="card">
          <h2>Live events</h2>
          {events.length === 0 && <p class="empty">No events since the dashboard was opened; they appear here as they happen.</p>}
          <ol class="timeline" data-testid="events">
            {events.map((e) => (
              <li>
                <time>{new Date(e.at).toLocaleTimeString()}</time> <code>{e.type}</code> <a href={`#/s/${seg(e.sessionId)}`}>{e.sessionId}</a> <small class="mono">{JSON.stringify(e.data)}</small>
              </li>
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}

interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  result: string;
  status: number;
  durationMs: number;
}

export function AuditPage() {
  const [since, setSince] = useState(60);
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const log = useAsync(() => json<AuditEntry[]>(`/v1/audit?since=${Date.now() - since * 60_000}&limit=5000`), [since]);
  return (
    <section>
      <header class="page-head">
        <h1>Audit log</h1>
        <div class="filters">
          <label>
            Actor <input value={actor} onInput={(e) => setActor((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Action <input value={action} onInput={(e) => setAction((e.target as HTMLInputElement).value)} placeholder="POST /v1/sessions" />
          </label>
          <label>
            Last{' '}
            <select value={since} onChange={(e) => setSince(Number((e.target as HTMLSelectElement).value))}>
              <option value={15}>15 min</option>
              <option value={60}>hour</option>
              <option value={1440}>day</option>
              <option value={10080}>week</option>
            </select>
          </label>
          <button onClick={log.reload}>Refresh</button>
        </div>
      </header>
      <Loaded a={log}>
        {(rows) => {
          const shown = rows.filter((r) => r.actor.includes(actor) && r.action.toLowerCase().includes(action.toLowerCase()));
          return (
            <div class="table-wrap">
              <table data-testid="audit">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Actor</th>
                    <th>Action</th>
                    <th>Target</th>
                    <th>Result</th>
                    <th class="num">Took</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.length === 0 && (
                    <tr>
                      <td colSpan={6} class="empty">
                        Nothing in this window.
                      </td>
                    </tr>
                  )}
                  {shown
                    .slice()
                    .reverse()
                    .map((r) => (
                      <tr>
                        <td>{new Date(r.at).toLocaleString()}</td>
                        <td class="mono">{r.actor}</td>
                        <td class="mono">{r.action}</td>
                        <td class="mono">{r.target}</td>
                        <td class={r.result === 'ok' ? '' : 'bad'}>{r.result}</td>
                        <td class="num">{ms(r.durationMs)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}

interface Step {
  id: string;
  status: string;
  exitCode?: number;
  durationMs?: number;
  logTail: string;
  error?: string;
}
interface Run {
  id: string;
  name: string;
  status: string;
  startedAt: string;
  durationMs?: number;
  error?: string;
  spec: { steps?: Array<{ id: string; needs?: string[] }> | Record<string, { needs?: string[] }> };
  steps: Step[];
}

function needsOf(run: Run): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const st = run.spec.steps;
  if (Array.isArray(st)) for (const s of st) m.set(s.id, s.needs ?? []);
  else if (st) for (const [k, v] of Object.entries(st)) m.set(k, v.needs ?? []);
  for (const s of run.steps) if (!m.has(s.id)) m.set(s.id, []);
  return m;
}

/** The run's steps in columns by depth, edges from each need; boxes coloured by status. */
function Dag({ run }: { run: Run }) {
  const needs = needsOf(run);
  const depth = new Map<string, number>();
  const d = (id: string, seen = new Set<string>()): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const v = Math.max(-1, ...(needs.get(id) ?? []).map((n) => d(n, seen))) + 1;
    depth.set(id, v);
    return v;
  };
  for (const id of needs.keys()) d(id);
  const cols: string[][] = [];
  for (const [id, v] of depth) (cols[v] ??= []).push(id);
  const W = 130;
  const H = 44;
  const pos = new Map<string, { x: number; y: number }>();
  cols.forEach((c, i) => c.forEach((id, j) => pos.set(id, { x: 10 + i * (W + 40), y: 10 + j * (H + 16) })));
  const width = 20 + cols.length * (W + 40);
  const height = 20 + Math.max(1, ...cols.map((c) => c.length)) * (H + 16);
  const status = new Map(run.steps.map((s) => [s.id, s]));
  return (
    <svg class="dag" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`DAG of ${run.name}`}>
      {[...needs].flatMap(([id, ns]) =>
        ns.map((n) => {
          const a = pos.get(n);
          const b = pos.get(id);
          if (!a || !b) return null;
          return <path class="edge" d={`M${a.x + W},${a.y + H / 2} C${a.x + W + 20},${a.y + H / 2} ${b.x - 20},${b.y + H / 2} ${b.x},${b.y + H / 2}`} />;
        }),
      )}
      {[...pos].map(([id, p]) => {
        const s = status.get(id);
        return (
          <g class={`node st-${s?.status ?? 'pending'}`}>
            <rect x={p.x} y={p.y} width={W} height={H} rx="6" />
            <text x={p.x + 8} y={p.y + 18}>{id.slice(0, 16)}</text>
            <text x={p.x + 8} y={p.y + 35} class="sub">
              {s?.status ?? 'pending'} {s?.durationMs !== undefined ? ms(s.durationMs) : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function WorkflowsPage() {
  const runs = useAsync(() => json<Run[]>('/v1/workflows/runs?limit=50'), []);
  const [open, setOpen] = useState<string>();
  return (
    <section>
      <header class="page-head">
        <h1>Workflow runs</h1>
        <button onClick={runs.reload}>Refresh</button>
      </header>
      <Loaded a={runs}>
        {(rows) => (
          <>
            {rows.length === 0 && <p class="empty">No workflow runs yet (start one with `berth workflow run FILE`).</p>}
            {rows.map((r) => (
              <section class="card">
                <h2>
                  <button class="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? undefined : r.id)}>
                    {r.name}
                  </button>{' '}
                  <Badge state={r.status} /> <small>{new Date(r.startedAt).toLocaleString()} · {ms(r.durationMs)}</small>
                </h2>
                <div class="table-wrap">
                  <Dag run={r} />
                </div>
                {r.error && <p class="error">{r.error}</p>}
                {open === r.id && (
                  <table>
                    <thead>
                      <tr>
                        <th>Step</th>
                        <th>Status</th>
                        <th class="num">Took</th>
                        <th>Log tail</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.steps.map((s) => (
                        <tr>
                          <td class="mono">{s.id}</td>
                          <td>
                            <Badge state={s.status} /> {s.exitCode !== undefined ? `exit ${s.exitCode}` : ''}
                          </td>
                          <td class="num">{ms(s.durationMs)}</td>
                          <td>
                            <pre class="tail">{s.error ? `${s.error}\n` : ''}{s.logTail.split('\n').slice(-12).join('\n')}</pre>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            ))}
          </>
        )}
      </Loaded>
    </section>
  );
}

interface Image {
  id: string;
  tags: string[];
  variant: string;
  size: number;
  created: string;
}
interface Volume {
  name: string;
  kind: string;
  ownerSessionId?: string;
  sizeBytes?: number;
  lastUsedAt?: string;
  [k: string]: unknown;
}
interface Gc {
  entries: Array<{ name: string; kind: string; reason: string; sizeBytes?: number }>;
  keptCount: number;
  keptBytes: number;
}

export function StoragePage() {
  const images = useAsync(() => json<Image[]>('/v1/images'), []);
  const volumes = useAsync(() => json<Volume[]>('/v1/volumes'), []);
  const gc = useAsync(() => json<Gc>('/v1/gc', { method: 'POST', body: { dryRun: true } }), []);
  return (
    <section>
      <header class="page-head">
        <h1>Images and volumes</h1>
      </header>
      <div class="grid">
        <section class="card">
          <h2>Images</h2>
          <Loaded a={images}>
            {(rows) => (
              <table>
                <tbody>
                  {rows.length === 0 && (
                    <tr>
                      <td class="empty">No berth-built images.</td>
                    </tr>
                  )}
                  {rows.map((i) => (
                    <tr>
                      <td class="mono">{i.tags.join(', ') || i.id.slice(0, 19)}</td>
                      <td>{i.variant}</td>
                      <td class="num">{bytes(i.size)}</td>
                      <td>
                        <Action label="Remove" danger confirm="Remove this image?" run={() => json(`/v1/images/${seg(i.tags[0] ?? i.id)}`, { method: 'DELETE' })} done={images.reload} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loaded>
        </section>
        <section class="card">
          <h2>Volumes</h2>
          <Loaded a={volumes}>
            {(rows) => (
              <table>
                <tbody>
                  {rows.length === 0 && (
                    <tr>
                      <td class="empty">No volumes.</td>
                    </tr>
                  )}
                  {rows.map((v) => (
                    <tr>
                      <td class="mono">{v.name}</td>
                      <td>{v.kind}</td>
                      <td class="num">{bytes(v.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loaded>
        </section>
        <section class="card wide">
          <h2>What gc would remove now</h2>
          <Loaded a={gc}>
            {(r) => (
              <>
                <p>
                  {r.entries.length} volume(s) would go; {r.keptCount} kept ({bytes(r.keptBytes)}).
                </p>
                {r.entries.length > 0 && (
                  <table data-testid="gc">
                    <tbody>
                      {r.entries.map((e) => (
                        <tr>
                          <td class="mono">{e.name}</td>
                          <td>{e.kind}</td>
                          <td>{e.reason}</td>
                          <td class="num">{bytes(e.sizeBytes)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </>
            )}
          </Loaded>
        </section>
      </div>
    </section>
  );
}
