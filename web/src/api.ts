/** The dashboard's one way to the daemon: the same /v1 API, authenticated by the session cookie. */

export interface ApiError {
  code: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

let csrf: Promise<string> | undefined;

/** The CSRF secret of this login session (sent on every state-changing request). */
function csrfToken(): Promise<string> {
  csrf ??= fetch('/ui/session', { credentials: 'same-origin' }).then(async (r) => {
    if (r.status === 401 || r.redirected) {
      location.href = '/ui/login';
      throw new ApiFailure('Unauthorized', 'log in again');
    }
    return ((await r.json()) as { csrf: string }).csrf;
  });
  return csrf;
}

async function failureOf(r: Response): Promise<ApiFailure> {
  const text = await r.text();
  try {
    const e = JSON.parse(text) as ApiError;
    if (e.code) return new ApiFailure(e.code, e.message);
  } catch {
    // not JSON
  }
  return new ApiFailure(`HTTP ${r.status}`, text.slice(0, 200) || r.statusText);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  raw?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
}

/** Calls the API; non-2xx answers throw an ApiFailure carrying berth's error code. */
export async function request(path: string, o: RequestOptions = {}): Promise<Response> {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (method !== 'GET' && method !== 'HEAD') headers['x-berth-csrf'] = await csrfToken();
  let body: BodyInit | undefined;
  if (o.raw !== undefined) {
    body = o.raw;
    headers['content-type'] = o.contentType ?? 'application/octet-stream';
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] = 'application/json';
  }
  let r: Response;
  try {
    r = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  } catch (err) {
    throw new ApiFailure('DaemonUnavailable', `no answer: ${(err as Error).message}`);
  }
  if (r.status === 401) {
    location.href = '/ui/login';
    throw await failureOf(r);
  }
  if (!r.ok) throw await failureOf(r);
  return r;
}

export async function json<T>(path: string, o: RequestOptions = {}): Promise<T> {
  const r = await request(path, o);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

/** Reads an NDJSON response line by line until it ends or `signal` aborts. */
export async function ndjson(path: string, onLine: (v: unknown) => void, signal: AbortSignal): Promise<void> {
  const r = await request(path, { signal });
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(JSON.parse(line));
    }
  }
}

export const seg = (s: string) => encodeURIComponent(s);

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${u[i]}`;
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}

export function ms(n: number | undefined): string {
  if (n === undefined) return '–';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}
