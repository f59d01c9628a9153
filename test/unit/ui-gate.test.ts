import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UiGate, type UiGateOptions } from '../../src/ui/ui-gate.js';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real loopback server whose requests go through the gate; `passed` counts those it let through. */
async function gated(o: UiGateOptions = {}) {
  const gate = new UiGate(o);
  let passed = 0;
  const server: Server = createServer((req, res) => {
    void gate.handle(req, res).then((r) => {
      if (r === 'answered') return;
      passed += 1;
      res.end(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const call = (path: string, x: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: x.method ?? 'GET', headers: x.headers ?? {} }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(x.body);
    });
  const login = async () => {
    const r = await call(`/ui/login?code=${gate.issueCode()}`);
    expect(r.status).toBe(303);
    const c = String(r.headers['set-cookie']);
    return c.slice(0, c.indexOf(';'));
  };
  const csrf = async (cookie: string) => (JSON.parse((await call('/ui/session', { headers: { cookie } })).body) as { csrf: string }).csrf;
  return { gate, server, port, call, login, csrf, passed: () => passed };
}

describe('the dashboard gate', () => {
  const servers: Server[] = [];
  const make = async (o: UiGateOptions = {}) => {
    const g = await gated(o);
    servers.push(g.server);
    return g;
  };
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('turns a one-time code into an HttpOnly SameSite=Strict cookie that lets API requests through', async () => {
    const g = await make({ cookieName: 'berth_ui_1' });
    const r = await g.call(`/ui/login?code=${g.gate.issueCode()}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/ui/');
    expect(String(r.headers['set-cookie'])).toMatch(/^berth_ui_1=[\w-]{20,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    const api = await g.call('/v1/sessions', { headers: { cookie } });
    expect(api.body).toBe('cookie');
  });

  it('replayed login link: a code works once', async () => {
    const g = await make();
    const code = g.gate.issueCode();
    expect((await g.call(`/ui/login?code=${code}`)).status).toBe(303);
    const again = await g.call(`/ui/login?code=${code}`);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('stale login link: an expired code is refused', async () => {
    const g = await make({ codeTtlMs: 1 });
    const code = g.gate.issueCode();
    await new Promise((r) => setTimeout(r, 20));
    expect((await g.call(`/ui/login?code=${code}`)).status).toBe(401);
  });

  it('no cookie: /ui/ redirects to the login page, the API answers 401, and nothing passes', async () => {
    const g = await make();
    const page = await g.call('/ui/app.js');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/ui/login');
    expect((await g.call('/ui/login')).status).toBe(200);
    // Not under /ui and no cookie: the gate leaves it to the other rules (bearer token).
    expect((await g.call('/v1/sessions')).body).toBe('none');
    expect((await g.call('/ui/session')).status).toBe(303);
    expect(g.passed()).toBe(1);
  });

  it('forged or expired session cookie: treated as none', async () => {
    const g = await make({ sessionTtlMs: 30 });
    expect((await g.call('/ui/', { headers: { cookie: 'berth_ui=forged' } })).status).toBe(303);
    const cookie = await g.login();
    expect((await g.call('/ui/', { headers: { cookie } })).body).toBe('cookie');
    await new Promise((r) => setTimeout(r, 60));
    expect((await g.call('/ui/', { headers: { cookie } })).status).toBe(303);
  });

  it('DNS rebinding: a Host naming another domain is refused even with a valid cookie; IPs and localhost pass', async () => {
    const g = await make({ hosts: ['berth.internal'] });
    const cookie = await g.login();
    const rebound = await g.call('/v1/sessions', { headers: { cookie, host: `attacker.example:${g.port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).code).toBe('PolicyDenied');
    expect((await g.call('/ui/login', { headers: { host: 'attacker.example' } })).status).toBe(403);
    for (const host of [`127.0.0.1:${g.port}`, `localhost:${g.port}`, `[::1]:${g.port}`, 'berth.internal:8080', '10.0.0.5']) expect(g.gate.hostAllowed(host), host).toBe(true);
    for (const host of ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', '', '[not-ip]:80', 'a:b:c']) expect(g.gate.hostAllowed(host), host).toBe(false);
  });

  it('cross-site request forgery: a POST with the cookie but without (or with a wrong) CSRF header is refused', async () => {
    const g = await make();
    const cookie = await g.login();
    const token = await g.csrf(cookie);
    expect((await g.call('/v1/sessions', { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect((await g.call('/v1/sessions', { method: 'POST', headers: { cookie, 'x-berth-csrf': `${token}x` } })).status).toBe(403);
    expect((await g.call('/v1/sessions', { method: 'DELETE', headers: { cookie, 'x-berth-csrf': 'nope' } })).status).toBe(403);
    expect((await g.call('/v1/sessions', { method: 'POST', headers: { cookie, 'x-berth-csrf': token } })).body).toBe('cookie');
  });

  it('cross-origin request: an Origin naming another site is refused, even with the CSRF header', async () => {
    const g = await make();
    const cookie = await g.login();
    const token = await g.csrf(cookie);
    const r = await g.call('/v1/sessions', { method: 'POST', headers: { cookie, 'x-berth-csrf': token, origin: 'http://attacker.example' } });
    expect(r.status).toBe(403);
    expect((await g.call('/v1/sessions', { headers: { cookie, origin: 'http://attacker.example' } })).status).toBe(403);
    expect((await g.call('/v1/sessions', { method: 'POST', headers: { cookie, 'x-berth-csrf': token, origin: `http://127.0.0.1:${g.port}` } })).body).toBe('cookie');
  });

  it('cross-site WebSocket hijacking: an upgrade needs the cookie, an allowed Host and an Origin naming it', async () => {
    const g = await make();
    const cookie = await g.login();
    const host = `127.0.0.1:${g.port}`;
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    expect(g.gate.upgradeAllowed(req({ cookie, host, origin: `http://${host}` }))).toBe(true);
    expect(g.gate.upgradeAllowed(req({ host, origin: `http://${host}` }))).toBe(false);
    expect(g.gate.upgradeAllowed(req({ cookie, host }))).toBe(false);
    expect(g.gate.upgradeAllowed(req({ cookie, host, origin: 'http://attacker.example' }))).toBe(false);
    expect(g.gate.upgradeAllowed(req({ cookie, host: 'attacker.example', origin: 'http://attacker.example' }))).toBe(false);
  });

  it('token login (TCP): the right token gets a cookie, a wrong one the login page again; without a token there is no form', async () => {
    const g = await make({ token: 'a-long-enough-token-1234' });
    expect((await g.call('/ui/login')).body).toContain('name="token"');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrong = await g.call('/ui/login', { method: 'POST', headers: form, body: 'token=guess' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await g.call('/ui/login', { method: 'POST', headers: form, body: 'token=a-long-enough-token-1234' });
    expect(right.status).toBe(303);
    expect(String(right.headers['set-cookie'])).toContain('HttpOnly; SameSite=Strict');
    const foreign = await g.call('/ui/login', { method: 'POST', headers: { ...form, origin: 'http://attacker.example' }, body: 'token=a-long-enough-token-1234' });
    expect(foreign.status).toBe(403);
    const huge = await g.call('/ui/login', { method: 'POST', headers: form, body: `token=${'x'.repeat(10_000)}` });
    expect(huge.status).toBe(400);

    const codesOnly = await make();
    expect((await codesOnly.call('/ui/login')).body).not.toContain('name="token"');
    expect((await codesOnly.call('/ui/login', { method: 'POST', headers: form, body: 'token=x' })).status).toBe(400);
  });

  it('logout ends the session', async () => {
    const g = await make();
    const cookie = await g.login();
    const token = await g.csrf(cookie);
    expect((await g.call('/ui/logout', { method: 'POST', headers: { cookie, 'x-berth-csrf': token } })).status).toBe(204);
    expect((await g.call('/ui/', { headers: { cookie } })).status).toBe(303);
  });
});
