import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { age, bytes, json, seg } from './api';
import type { Sample, Session } from './types';
import { Action, Badge, ErrorBox, Loaded, Spinner, toFailure, useAsync, useEvents, useNow } from './ui';
import type { ApiFailure } from './api';

const STATES = ['', 'running', 'creating', 'paused', 'stopped', 'ended', 'failed', 'lost'];

function CreateForm({ created }: { created: () => void }) {
  const images = useAsync(() => json<Array<{ tags: string[] }>>('/v1/images'), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure>();
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    const v = (k: string) => String(f.get(k) ?? '').trim();
    const labels: Record<string, string> = {};
    for (const kv of v('labels').split(/[ ,]+/).filter(Boolean)) {
      const i = kv.indexOf('=');
      if (i > 0) labels[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const body: Record<string, unknown> = {
      ...(v('name') ? { name: v('name') } : {}),
      ...(v('source') === 'variant' ? { variant: v('variant') } : { image: v('image') }),
      ...(v('memory') ? { memory: v('memory') } : {}),
      ...(v('cpus') ? { cpus: Number(v('cpus')) } : {}),
      network: v('network'),
      security: v('security'),
      ...(Object.keys(labels).length ? { labels } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      await json('/v1/sessions', { method: 'POST', body });
      (ev.target as HTMLFormElement).reset();
      created();
    } catch (err) {
      setError(toFailure(err));
    } finally {
      setBusy(false);
    }
  };
  const tags = (images.data ?? []).flatMap((i) => i.tags);
  return (
    <details class="create">
      <summary>New session</summary>
      <form onSubmit={(e) => void submit(e)} data-testid="create-form">
        <label>
          Name <input name="name" placeholder="(generated)" />
        </label>
        <fieldset>
          <legend>Image</legend>
          <label>
            <input type="radio" name="source" value="image" checked /> image{' '}
            <input name="image" list="image-tags" placeholder="berth-fixture:busybox" aria-label="image" />
          </label>
          <datalist id="image-tags">{tags.map((t) => <option value={t} />)}</datalist>
          <label>
            <input type="radio" name="source" value="variant" /> variant{' '}
            <select name="variant" aria-label="variant">
              <option>alpine</option>
              <option>ubuntu</option>
            </select>
          </label>
        </fieldset>
        <label>
          Memory <input name="memory" placeholder="512m" size={6} />
        </label>
        <label>
          CPUs <input name="cpus" type="number" step="0.25" min="0.25" size={4} />
        </label>
        <label>
          Network{' '}
          <select name="network">
            <option>none</option>
            <option>isolated</option>
            <option>bridge</option>
          </select>
        </label>
        <label>
          Security{' '}
          <select name="security">
            <option>standard</option>
            <option>strict</option>
          </select>
        </label>
        <label>
          Labels <input name="labels" placeholder="k=v k2=v2" />
        </label>
        <button type="submit" disabled={busy}>
          Create {busy && <Spinner label="creating" />}
        </button>
        <ErrorBox error={error} />
      </form>
    </details>
  );
}

export function SessionsPage() {
  const [state, setState] = useState('');
  const [label, setLabel] = useState('');
  const query = useMemo(() => {
    const q = new URLSearchParams();
    if (state) q.set('state', state);
    else q.set('all', 'true');
    for (const l of label.split(/[ ,]+/).filter((x) => x.includes('='))) q.append('label', l);
    q.set('limit', '1000');
    return q.toString();
  }, [state, label]);
  // Sessions and their newest samples in one render (a second pass over 200 rows costs as much as the first).
  const list = useAsync(() => Promise.all([json<Session[]>(`/v1/sessions?${query}`), json<Sample[]>('/v1/stats').catch(() => [] as Sample[])]), [query]);
  const [fresh, setFresh] = useState<Sample[]>();
  const timer = useRef<number | undefined>(undefined);
  useEvents((e) => {
    if (e.type !== 'session.state') return;
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => list.reload(), 150);
  });
  const now = useNow(5000);
  useEffect(() => {
    const t = setInterval(() => void json<Sample[]>('/v1/stats').then(setFresh, () => undefined), 5000);
    return () => clearInterval(t);
  }, []);
  const stats = { data: fresh ?? list.data?.[1] };
  const byId = new Map((stats.data ?? []).map((s) => [s.sessionId, s]));
  return (
    <section>
      <header class="page-head">
        <h1>Sessions</h1>
        <div class="filters">
          <label>
            State{' '}
            <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)} aria-label="filter by state">
              {STATES.map((s) => (
                <option value={s}>{s || 'all'}</option>
              ))}
            </select>
          </label>
          <label>
            Label <input value={label} placeholder="k=v" onChange={(e) => setLabel((e.target as HTMLInputElement).value)} aria-label="filter by label" />
          </label>
          <button onClick={() => (setFresh(undefined), list.reload())}>Refresh</button>
        </div>
      </header>
      <CreateForm created={list.reload} />
      <Loaded a={list}>
        {([rows]) => (
          <div class="table-wrap">
            <table class="sessions" data-testid="sessions-table" data-count={rows.length}>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>State</th>
                  <th>Image</th>
                  <th>Backend</th>
                  <th class="num">CPU</th>
                  <th class="num">Memory</th>
                  <th class="num">Age</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={8} class="empty">
                      No sessions.
                    </td>
                  </tr>
                )}
                {rows.map((s) => {
                  const st = byId.get(s.id);
                  const live = s.state === 'running' || s.state === 'paused';
                  return (
                    <tr data-session={s.name} key={s.id}>
                      <td>
                        <a href={`#/s/${seg(s.id)}`}>{s.name}</a>
                      </td>
                      <td>
                        <Badge state={s.state} />
                      </td>
                      <td class="mono">{s.template && s.template !== 'default' ? `${s.template}: ` : ''}{s.spec.image}</td>
                      <td>{s.backend === 'local' ? 'local' : s.engine}</td>
                      <td class="num">{live && st ? `${st.cpuPercent.toFixed(1)} %` : '–'}</td>
                      <td class="num">{live && st ? bytes(st.memoryBytes) : '–'}</td>
                      <td class="num">{age(s.createdAt, now)}</td>
                      <td class="actions">
                        {s.state === 'running' && <Action label="Stop" run={() => json(`/v1/sessions/${seg(s.id)}/stop`, { method: 'POST', body: {} })} done={list.reload} />}
                        {s.state === 'stopped' && <Action label="Start" run={() => json(`/v1/sessions/${seg(s.id)}/start`, { method: 'POST' })} done={list.reload} />}
                        {live && <Action label="Fork" run={() => json(`/v1/sessions/${seg(s.id)}/fork`, { method: 'POST', body: {} })} done={list.reload} />}
                        {s.state !== 'ended' && (
                          <Action label="Remove" danger testid={`remove-${s.name}`} confirm={`Remove ${s.name} and its container?`} run={() => json(`/v1/sessions/${seg(s.id)}`, { method: 'DELETE' })} done={list.reload} />
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </section>
  );
}
