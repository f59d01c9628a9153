import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError } from '../common/errors.js';
import { loginPage } from './login-page.js';

/** Header the dashboard sends with every state-changing request (CSRF: a cross-site form cannot set it). */
export const CSRF_HEADER = 'x-berth-csrf';

export interface UiGateOptions {
  /** Cookie name; one per listener, since cookies do not tell ports apart. Default `berth_ui`. */
  cookieName?: string;
  /** The API token: whoever types it on the login page gets a session (TCP). Absent: one-time codes only. */
  token?: string;
  /** Host names allowed besides IP literals and `localhost` (DNS rebinding: a page on another name is refused). */
  hosts?: readonly string[];
  /** Lifetime of a login session, ms; default 12 h. */
  sessionTtlMs?: number;
  /** Lifetime of a one-time login code, ms; default 5 min. */
  codeTtlMs?: number;
  /** Most login sessions kept; the oldest go first. Default 100. */
  maxSessions?: number;
  /** Mark the cookie `Secure` (the listener serves HTTPS). Default false. */
  secure?: boolean;
}

/** What `handle` did: answered the request itself, or let it through with or without a dashboard session. */
export type GateResult = 'answered' | 'cookie' | 'none';

interface UiSession {
  csrf: string;
  expires: number;
}

const secret = () => randomBytes(24).toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function sendError(res: ServerResponse, e: BerthError): void {
  const body = JSON.stringify(e.toJSON());
  res.writeHead(e.httpStatus, { 'content-type': 'application/json; charset=utf-8', 'x-berth-error': e.code, 'cache-control': 'no-store' });
  res.end(body);
}

async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new BerthError('InvalidArgument', 'login form too large');
    parts.push(c);
  }
  return new URLSearchParams(Buffer.concat(parts).toString('utf8'));
}

/**
 * The dashboard's door, shared by the daemon's TCP listener and `berth ui`: one-time login
 * codes (and, on TCP, the API token typed on the login page) become an HttpOnly,
 * SameSite=Strict session cookie. Requests under `/ui` without a session get nothing but the
 * login page; a cookie-authenticated API request must come with a Host that is an IP literal,
 * `localhost` or a configured name, an Origin (when sent) naming that host, and the CSRF
 * header on anything but GET/HEAD. Works on raw node requests, so any server can use it.
 */
export class UiGate {
  readonly cookieName: string;
  private readonly sessions = new Map<string, UiSession>();
  private readonly codes = new Map<string, number>();
  private readonly hosts: Set<string>;

  constructor(private readonly o: UiGateOptions = {}) {
    this.cookieName = o.cookieName ?? 'berth_ui';
    this.hosts = new Set((o.hosts ?? []).map((h) => h.toLowerCase()));
  }

  /** A one-time login code, valid for `codeTtlMs`: open `/ui/login?code=<code>`. */
  issueCode(): string {
    const now = Date.now();
    for (const [c, exp] of this.codes) if (exp <= now) this.codes.delete(c);
    const code = secret();
    this.codes.set(code, now + (this.o.codeTtlMs ?? 300_000));
    return code;
  }

  /** True when the Host header names this machine by IP, `localhost`, or a configured name. */
  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::\d{1,5})?$/.exec(host);
    if (!m) return false;
    const name = m[1]!.toLowerCase();
    if (name.startsWith('[')) return isIP(name.slice(1, -1)) === 6;
    return isIP(name) === 4 || name === 'localhost' || this.hosts.has(name);
  }

  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return URL.canParse(origin) && new URL(origin).host === req.headers.host;
  }

  private session(req: IncomingMessage): UiSession | undefined {
    const id = cookieValue(req.headers.cookie, this.cookieName);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  private startSession(res: ServerResponse): void {
    const id = secret();
    this.sessions.set(id, { csrf: secret(), expires: Date.now() + (this.o.sessionTtlMs ?? 12 * 3_600_000) });
    while (this.sessions.size > (this.o.maxSessions ?? 100)) this.sessions.delete(this.sessions.keys().next().value as string);
    const maxAge = Math.floor((this.o.sessionTtlMs ?? 12 * 3_600_000) / 1000);
    res.writeHead(303, {
      location: '/ui/',
      'set-cookie': `${this.cookieName}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${this.o.secure ? '; Secure' : ''}`,
      'cache-control': 'no-store',
    });
    res.end();
  }

  private loginAnswer(res: ServerResponse, status: number, message?: string): void {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
    });
    res.end(loginPage({ tokenLogin: this.o.token !== undefined, ...(message ? { message } : {}) }));
  }

  private async login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const code = url.searchParams.get('code');
      if (code === null) return this.loginAnswer(res, 200);
      const exp = this.codes.get(code);
      this.codes.delete(code);
      if (exp === undefined || exp <= Date.now()) return this.loginAnswer(res, 401, 'This login link was used already or has expired. Run `berth ui` again for a new one.');
      return this.startSession(res);
    }
    if (req.method === 'POST' && this.o.token !== undefined) {
      if (!this.originAllowed(req)) return sendError(res, new BerthError('PolicyDenied', 'login from another origin refused'));
      const form = await readForm(req, 4096);
      if (sameSecret(form.get('token') ?? '', this.o.token)) return this.startSession(res);
      return this.loginAnswer(res, 401, 'Wrong token.');
    }
    sendError(res, new BerthError('InvalidArgument', `${req.method ?? ''} /ui/login is not supported; open the login link`));
  }

  /**
   * Looks at a request first; never rejects. `answered`: the gate replied (login, logout, refusal);
   * `cookie`: a dashboard session is authenticated, let it through; `none`: not the gate's
   * (no dashboard cookie and not under `/ui`), apply the other rules.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<GateResult> {
    const url = new URL(req.url ?? '/', 'http://berth');
    const underUi = url.pathname === '/ui' || url.pathname.startsWith('/ui/');
    const s = this.session(req);
    if (!underUi && !s) return 'none';
    if (!this.hostAllowed(req.headers.host)) {
      sendError(res, new BerthError('PolicyDenied', `Host "${req.headers.host ?? ''}" is not this daemon's; open the dashboard by IP or localhost, or add the name to uiHosts`));
      return 'answered';
    }
    if (url.pathname === '/ui/login') {
      await this.login(req, res, url).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, BerthError.from(err));
        req.destroy();
      });
      return 'answered';
    }
    if (!s) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.writeHead(303, { location: '/ui/login', 'cache-control': 'no-store' });
        res.end();
      } else sendError(res, new BerthError('Unauthorized', 'log in to the dashboard first: run `berth ui`'));
      return 'answered';
    }
    const safe = req.method === 'GET' || req.method === 'HEAD';
    if (!this.originAllowed(req) || (!safe && !sameSecret(String(req.headers[CSRF_HEADER] ?? ''), s.csrf))) {
      sendError(res, new BerthError('PolicyDenied', `cross-site request refused: send the ${CSRF_HEADER} header from the dashboard's own origin`));
      return 'answered';
    }
    if (url.pathname === '/ui/session') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ csrf: s.csrf, expiresAt: new Date(s.expires).toISOString() }));
      return 'answered';
    }
    if (url.pathname === '/ui/logout' && req.method === 'POST') {
      this.sessions.delete(cookieValue(req.headers.cookie, this.cookieName) ?? '');
      res.writeHead(204, { 'set-cookie': `${this.cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
      res.end();
      return 'answered';
    }
    return 'cookie';
  }

  /** A WebSocket upgrade with a dashboard session: allowed Host, and an Origin naming it (browsers always send one). */
  upgradeAllowed(req: IncomingMessage): boolean {
    return this.session(req) !== undefined && this.hostAllowed(req.headers.host) && req.headers.origin !== undefined && this.originAllowed(req);
  }
}
