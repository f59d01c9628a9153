import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { bytes, json, ms, ndjson, seg } from './api';
import { LineChart } from './chart';
import { FileBrowser } from './files';
import type { Alert, Sample, Session } from './types';
import { Action, Badge, ErrorBox, Loaded, Spinner, toFailure, useAsync, useEvents } from './ui';
import type { ApiFailure } from './api';

/** xterm.js is most of the bundle: loaded on the first visit to a terminal tab only. */
function LazyTerminal({ sessionId }: { sessionId: string }) {
  const [View, setView] = useState<((p: { sessionId: string }) => JSX.Element) | undefined>();
  const [error, setError] = useState<ApiFailure>();
  useEffect(() => {
    import('./terminal').then(
      (m) => setView(() => m.TerminalView),
      (err: unknown) => setError(toFailure(err)),
    );
  }, []);
  if (error) return <ErrorBox error={error} />;
  return View ? <View sessionId={sessionId} /> : <Spinner label="loading the terminal" />;
}

const TABS = ['overview', 'charts', 'logs', 'files', 'terminal'] as const;
type Tab = (typeof TABS)[number];

function Charts({ id }: { id: string }) {
  const [samples, setSamples] = useState<Sample[]>();
  const [error, setError] = useState<ApiFailure>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      json<Sample[]>(`/v1/sessions/${seg(id)}/stats?sinceMs=${Date.now() - 3_600_000}`).then(
        (s) => !stop && (setSamples(s), setError(undefined)),
        (err: unknown) => !stop && setError(toFailure(err)),
      );
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [id]);
  const to = Date.now();
  const first = samples?.[0] ? Date.parse(samples[0].at) : to;
  const from = Math.max(to - 3_600_000, Math.min(first, to - 120_000));
  const pts = (f: (s: Sample) => number): Array<[number, number]> => (samples ?? []).map((s) => [Date.parse(s.at), f(s)]);
  return (
    <div>
      {!samples && !error && <Spinner />}
      <ErrorBox error={error} />
      {samples && (
        <div class="charts" data-testid="charts">
          <LineChart title="CPU" points={pts((s) => s.cpuPercent)} format={(v) => `${v.toFixed(1)} %`} from={from} to={to} />
          <LineChart title="Memory" points={pts((s) => s.memoryBytes)} format={bytes} from={from} to={to} />
          <LineChart title="PIDs" points={pts((s) => s.pids)} format={(v) => String(Math.round(v))} from={from} to={to} />
          <LineChart title="Network rx+tx" points={pts((s) => s.netRxBytes + s.netTxBytes)} format={bytes} from={from} to={to} />
        </div>
      )}
    </div>
  );
}

function Logs({ id }: { id: string }) {
  const [lines, setLines] = useState<Array<{ s: 'o' | 'e'; t: string }>>([]);
  const [follow, setFollow] = useState(true);
  const [error, setError] = useState<ApiFailure>();
  const [done, setDone] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const ac = new AbortController();
    setLines([]);
    setDone(false);
    const dec = { o: new TextDecoder(), e: new TextDecoder() };
    ndjson(
      `/v1/sessions/${seg(id)}/logs?tail=500&follow=${follow}`,
      (f) => {
        const fr = f as { o?: string; e?: string; error?: { code: string; message: string } };
        const k = fr.o !== undefined ? 'o' : fr.e !== undefined ? 'e' : undefined;
        if (k) {
          const b = Uint8Array.from(atob((fr[k] as string) ?? ''), (c) => c.charCodeAt(0));
          const t = dec[k].decode(b, { stream: true });
          setLines((l) => [...l.slice(-2000), { s: k, t }]);
        }
        if (fr.error) setError(toFailure(Object.assign(new Error(fr.error.message), fr.error)));
      },
      ac.signal,
    ).then(
      () => setDone(true),
      (err: unknown) => !ac.signal.aborted && setError(toFailure(err)),
    );
    return () => ac.abort();
  }, [id, follow]);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines]);
  return (
    <div>
      <label>
        <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
      </label>{' '}
      <span class="legend">
        <span class="out">stdout</span> <span class="err">stderr</span>
      </span>{' '}
      {done ? <small>(end of log)</small> : follow && <Spinner label="following" />}
      <ErrorBox error={error} />
      <pre class="logs" ref={pre} tabIndex={0} data-testid="logs">
        {lines.map((l) => (
          <span class={l.s === 'e' ? 'err' : 'out'}>{l.t}</span>
        ))}
      </pre>
    </div>
  );
}

interface SecurityReport {
  profile: string;
  score: number;
  checks: Array<{ id: string; title: string; passed: boolean; required: boolean; detail: string }>;
}

function Overview({ s, reload }: { s: Session; reload: () => void }) {
  const id = s.id;
  const events = useAsync(() => json<Array<{ at: string; from?: string; to: string; reason: string }>>(`/v1/sessions/${seg(id)}/events`), [id, s.state]);
  const execs = useAsync(() => json<Array<{ at: string; cmd: string[]; exitCode: number; durationMs: number; bytesOut: number; timedOut: boolean }>>(`/v1/sessions/${seg(id)}/history`), [id]);
  const security = useAsync(() => json<SecurityReport>(`/v1/sessions/${seg(id)}/security`), [id]);
  const alerts = useAsync(() => json<Alert[]>(`/v1/alerts?session=${seg(id)}&limit=50`), [id]);
  const health = useAsync(() => json<{ status: string; checkedBy: string; failingStreak: number; lastOutput?: string; lastCheckAt?: string }>(`/v1/sessions/${seg(id)}/health`), [id]);
  return (
    <div class="grid">
      <section class="card">
        <h2>Session</h2>
        <dl class="kv">
          <dt>State</dt>
          <dd>
            <Badge state={s.state} />
          </dd>
          <dt>Image</dt>
          <dd class="mono">{s.spec.image}</dd>
          <dt>Backend</dt>
          <dd>{s.backend === 'local' ? 'local' : s.engine}</dd>
          <dt>Network</dt>
          <dd>{s.spec.network ?? '–'}</dd>
          <dt>Labels</dt>
          <dd class="mono">{Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(' ') || '–'}</dd>
          <dt>Created</dt>
          <dd>{new Date(s.createdAt).toLocaleString()}</dd>
          {s.endReason && (
            <>
              <dt>Ended</dt>
              <dd>{s.endReason}</dd>
            </>
          )}
        </dl>
        <div class="actions">
          {s.state === 'running' && <Action label="Stop" run={() => json(`/v1/sessions/${seg(id)}/stop`, { method: 'POST', body: {} })} done={reload} />}
          {s.state === 'stopped' && <Action label="Start" run={() => json(`/v1/sessions/${seg(id)}/start`, { method: 'POST' })} done={reload} />}
          {(s.state === 'running' || s.state === 'paused') && <Action label="Fork" run={() => json(`/v1/sessions/${seg(id)}/fork`, { method: 'POST', body: {} })} done={reload} />}
          {s.state !== 'ended' && <Action label="Remove" danger testid="remove" confirm={`Remove ${s.name} and its container?`} run={() => json(`/v1/sessions/${seg(id)}`, { method: 'DELETE' })} done={reload} />}
        </div>
      </section>
      <section class="card">
        <h2>State history</h2>
        <Loaded a={events}>
          {(rows) => (
            <ol class="timeline">
              {rows.map((e) => (
                <li>
                  <time>{new Date(e.at).toLocaleTimeString()}</time> {e.from ? <Badge state={e.from} /> : null} → <Badge state={e.to} /> <small>{e.reason}</small>
                </li>
              ))}
            </ol>
          )}
        </Loaded>
      </section>
      <section class="card">
        <h2>Security</h2>
        <Loaded a={security}>
          {(r) => (
            <>
              <p class="score" data-testid="security-score">
                <strong>{r.score}</strong>/100 <small>profile {r.profile}</small>
              </p>
              <ul class="checks">
                {r.checks.map((c) => (
                  <li class={c.passed ? 'pass' : c.required ? 'fail' : 'advice'} title={c.detail}>
                    {c.passed ? '✔' : '✘'} {c.title} {!c.required && <small>(advisory)</small>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Loaded>
      </section>
      <section class="card">
        <h2>Health and alerts</h2>
        <Loaded a={health}>
          {(h) => (
            <p>
              Health <Badge state={h.status} /> <small>checked by {h.checkedBy}{h.lastCheckAt ? `, ${new Date(h.lastCheckAt).toLocaleTimeString()}` : ''}</small>
            </p>
          )}
        </Loaded>
        <Loaded a={alerts}>
          {(rows) =>
            rows.length === 0 ? (
              <p class="empty">No alerts.</p>
            ) : (
              <ul>
                {rows.map((a) => (
                  <li>
                    <Badge state={a.state} /> {String(a.kind ?? a.rule ?? '')} {String(a.message ?? '')}
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
      <section class="card wide">
        <h2>Exec history</h2>
        <Loaded a={execs}>
          {(rows) => (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Command</th>
                    <th class="num">Exit</th>
                    <th class="num">Took</th>
                    <th class="num">Output</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.length === 0 && (
                    <tr>
                      <td colSpan={5} class="empty">
                        No execs yet.
                      </td>
                    </tr>
                  )}
                  {rows
                    .slice(-100)
                    .reverse()
                    .map((x) => (
                      <tr>
                        <td>{new Date(x.at).toLocaleTimeString()}</td>
                        <td class="mono">{x.cmd.join(' ')}</td>
                        <td class={`num ${x.exitCode === 0 ? '' : 'bad'}`}>{x.timedOut ? 'timeout' : x.exitCode}</td>
                        <td class="num">{ms(x.durationMs)}</td>
                        <td class="num">{bytes(x.bytesOut)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      </section>
    </div>
  );
}

export function SessionPage({ id, tab }: { id: string; tab: string }) {
  const s = useAsync(() => json<Session>(`/v1/sessions/${seg(id)}`), [id]);
  useEvents((e) => {
    if (e.sessionId === s.data?.id) s.reload();
  });
  const current: Tab = (TABS as readonly string[]).includes(tab) ? (tab as Tab) : 'overview';
  return (
    <section>
      <header class="page-head">
        <h1>
          <a href="#/sessions">Sessions</a> / {s.data?.name ?? id} {s.data && <Badge state={s.data.state} />}
        </h1>
      </header>
      <nav class="tabs" role="tablist">
        {TABS.map((t) => (
          <a role="tab" aria-selected={t === current} class={t === current ? 'on' : ''} href={`#/s/${seg(id)}/${t}`}>
            {t}
          </a>
        ))}
      </nav>
      <Loaded a={s}>
        {(x) => (
          <>
            {current === 'overview' && <Overview s={x} reload={s.reload} />}
            {current === 'charts' && <Charts id={x.id} />}
            {current === 'logs' && <Logs id={x.id} />}
            {current === 'files' && (x.state === 'running' ? <FileBrowser sessionId={x.id} baseDir={(x as Session & { baseDir?: string }).baseDir ?? '/'} /> : <p class="empty">Files need a running session.</p>)}
            {current === 'terminal' && (x.state === 'running' ? <LazyTerminal sessionId={x.id} /> : <p class="empty">The terminal needs a running session.</p>)}
          </>
        )}
      </Loaded>
    </section>
  );
}
