import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api';

export interface Async<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and on `reload()`; the last answer wins, earlier ones are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiFailure; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => n === seq.current && setState({ data, loading: false }),
      (err: unknown) => n === seq.current && setState((s) => ({ ...s, error: toFailure(err), loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

export function toFailure(err: unknown): ApiFailure {
  return err instanceof ApiFailure ? err : new ApiFailure('Internal', (err as Error)?.message ?? String(err));
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span class="spinner" role="status" aria-label={label} />;
}

export function ErrorBox({ error }: { error: ApiFailure | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <code>[{error.code}]</code> {error.message}
    </p>
  );
}

/** Shows a spinner while loading the first time, the error in place, then the children. */
export function Loaded<T>({ a, children }: { a: Async<T>; children: (d: T) => ComponentChildren }) {
  return (
    <div class="loaded">
      {a.loading && <Spinner />}
      <ErrorBox error={a.error} />
      {a.data !== undefined && children(a.data)}
    </div>
  );
}

/** A button running an async action: busy while it runs, its error beside it. `confirm`: asks first (a second click). */
export function Action(p: { label: string; run: () => Promise<unknown>; confirm?: string; danger?: boolean; done?: () => void; testid?: string }) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<ApiFailure>();
  const go = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      await p.run();
      p.done?.();
    } catch (err) {
      setError(toFailure(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      {asking ? (
        <>
          <span class="ask">{p.confirm}</span>
          <button class="danger" data-testid={p.testid ? `${p.testid}-confirm` : undefined} onClick={() => void go()}>
            Yes, {p.label.toLowerCase()}
          </button>
          <button onClick={() => setAsking(false)}>Cancel</button>
        </>
      ) : (
        <button class={p.danger ? 'danger' : ''} disabled={busy} data-testid={p.testid} onClick={() => (p.confirm ? setAsking(true) : void go())}>
          {p.label}
          {busy && <Spinner label={`${p.label} running`} />}
        </button>
      )}
      {error && <ErrorBox error={error} />}
    </span>
  );
}

export interface DaemonEvent {
  type: string;
  sessionId: string;
  at: string;
  data: Record<string, unknown>;
}
type Listener = (e: DaemonEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
/** The last 500 events since the dashboard was opened, newest first. */
export const recentEvents: DaemonEvent[] = [];

/** Opens the one EventSource on /v1/events (idempotent); every page's listeners share it. */
export function connectEvents(): void {
  if (source) return;
  source = new EventSource('/v1/events');
  for (const t of ['session.state', 'session.oom', 'alert.fired', 'alert.resolved', 'health']) {
    source.addEventListener(t, (m) => {
      const e = JSON.parse((m as MessageEvent<string>).data) as DaemonEvent;
      recentEvents.unshift(e);
      recentEvents.length = Math.min(recentEvents.length, 500);
      for (const x of listeners) x(e);
    });
  }
}

/** Calls `fn` for every daemon event (one shared EventSource on /v1/events). */
export function useEvents(fn: Listener): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    connectEvents();
    return () => {
      listeners.delete(l);
    };
  }, []);
}

/** Seconds-resolution clock for ages. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function Badge({ state }: { state: string }) {
  return <span class={`badge st-${state}`}>{state}</span>;
}
