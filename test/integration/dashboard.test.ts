/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Berth } from '../../src/index.js';
import { launchChromium, screenshotDir, startBerthUi } from '../support/browser.js';
import { daemonDirs, runCli, spawnDaemon, type DaemonProcess } from '../support/daemon.js';
import { engineUnderTest, FIXTURE_IMAGE } from '../support/engine.js';
import { runId, TEST_LABEL, uniqueName } from '../support/names.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request to the dashboard's port, with any Host and headers (fetch forbids setting Host). */
function raw(origin: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Opens a WebSocket and resolves with the HTTP status of a refusal, or 101 when it opened. */
function wsStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => resolve(-1));
  });
}

type TermWindow = { berthTerm?: { cols: number; rows: number; buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } };

/** The text of the terminal's buffer (xterm.js, which the page exposes as window.berthTerm). */
function termText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const t = (window as unknown as TermWindow).berthTerm;
    if (!t) return '';
    const b = t.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  });
}

/** Waits until a line of the terminal matches `pattern` (multiline regex source). */
async function waitTerm(page: Page, pattern: string): Promise<void> {
  await page.waitForFunction((src) => {
    const t = (window as unknown as TermWindow).berthTerm;
    if (!t) return false;
    const b = t.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return new RegExp(src, 'm').test(out.join('\n'));
  }, pattern);
}

const termSize = (page: Page) => page.evaluate(() => {
  const t = (window as unknown as TermWindow).berthTerm!;
  return { cols: t.cols, rows: t.rows };
});

/** A loopback port free right now (for the daemon's TCP listener). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const TOKEN = `dashboard-test-token-${runId()}`;

describe(`the web dashboard in a real browser (${engineUnderTest()})`, () => {
  const engine = engineUnderTest();
  const dirs = daemonDirs('dashboard');
  const shots = screenshotDir();
  let d: DaemonProcess;
  let ui: Awaited<ReturnType<typeof startBerthUi>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const made: string[] = [];
  const shot = (name: string, p: Page = page) => p.screenshot({ path: join(shots, `${engine}-${name}.png`), fullPage: false });
  const label = `${TEST_LABEL}=${runId()}`;
  let tcp: string;

  beforeAll(async () => {
    mkdirSync(dirs.dataDir, { recursive: true });
    // Samples every 500 ms, so the charts have points within seconds.
    writeFileSync(join(dirs.dataDir, 'config.json'), JSON.stringify({ sampleIntervalMs: 500 }));
    tcp = `127.0.0.1:${await freePort()}`;
    // On a loaded machine Podman's volume listing at start-up can outlast spawnDaemon's 10 s: a few tries.
    for (let i = 1; ; i++) {
      try {
        d = await spawnDaemon(dirs, { BERTH_TOKEN: TOKEN }, ['--engine', engine, '--tcp', tcp]);
        break;
      } catch (err) {
        if (i === 3 || !/did not answer within/.test(String(err))) throw err;
      }
    }
    ui = await startBerthUi(dirs.socket);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((id) => d.client.sessions.remove(id).catch(() => undefined)));
  });
  afterAll(async () => {
    await browser?.close();
    ui?.child.kill('SIGINT');
    await ui?.exited;
    d?.child.kill('SIGTERM');
    await d?.exited;
    dirs.rm();
  });

  it('logs in with the one-time URL (an HttpOnly SameSite=Strict cookie); the link does not work twice', async () => {
    const login = await page.goto(ui.url);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    expect(login?.ok()).toBe(true);
    await page.waitForSelector('[data-testid=sessions-table]');
    const cookie = (await context.cookies()).find((c) => c.name.startsWith('berth_ui_'));
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    await shot('sessions');

    const other = await browser.newContext();
    const again = await (await other.newPage()).goto(ui.url);
    expect(again?.status()).toBe(401);
    expect(await again?.text()).toContain('used already');
    await other.close();
  });

  it('a request without the cookie gets nothing but the login page; a wrong Host, a missing CSRF header and a foreign Origin are refused', async () => {
    const cookie = (await context.cookies()).find((c) => c.name.startsWith('berth_ui_'))!;
    const jar = `${cookie.name}=${cookie.value}`;
    const host = new URL(ui.origin).host;

    const api = await raw(ui.origin, '/v1/sessions');
    expect(api.status).toBe(401);
    expect(api.body).not.toContain('"id"');
    const app = await raw(ui.origin, '/ui/app.js');
    expect(app.status).toBe(303);
    expect(app.headers.location).toBe('/ui/login');
    const loginPage = await raw(ui.origin, '/ui/login');
    expect(loginPage.status).toBe(200);
    expect(loginPage.body).not.toContain('<script');

    // With the cookie it works; with a rebinding name in Host it does not.
    expect((await raw(ui.origin, '/v1/sessions', { headers: { cookie: jar } })).status).toBe(200);
    const rebound = await raw(ui.origin, '/v1/sessions', { headers: { cookie: jar, host: `attacker.example:${new URL(ui.origin).port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).code).toBe('PolicyDenied');
    const reboundUi = await raw(ui.origin, '/ui/login', { headers: { host: 'attacker.example' } });
    expect(reboundUi.status).toBe(403);

    // State changes need the CSRF header; an Origin of another site is refused even with it.
    const noCsrf = await raw(ui.origin, '/v1/sessions', { method: 'POST', headers: { cookie: jar, 'content-type': 'application/json' }, body: JSON.stringify({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } }) });
    expect(noCsrf.status).toBe(403);
    const csrf = (JSON.parse((await raw(ui.origin, '/ui/session', { headers: { cookie: jar } })).body) as { csrf: string }).csrf;
    const foreign = await raw(ui.origin, '/v1/sessions', { method: 'POST', headers: { cookie: jar, 'x-berth-csrf': csrf, origin: 'http://attacker.example', 'content-type': 'application/json' }, body: '{}' });
    expect(foreign.status).toBe(403);
    expect((await d.client.sessions.list({ all: true })).length).toBe(0);

    // No CORS: nothing grants another origin access.
    const pre = await raw(ui.origin, '/v1/sessions', { method: 'OPTIONS', headers: { cookie: jar, origin: 'http://attacker.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();

    // Terminal WebSockets: no cookie, or a foreign Origin, is refused before any shell opens.
    const wsUrl = `ws://${host}/v1/sessions/nope/shell`;
    expect(await wsStatus(wsUrl, { origin: ui.origin })).toBe(401);
    expect(await wsStatus(wsUrl, { origin: 'http://attacker.example', cookie: jar })).toBe(401);
  });

  it('shows a session created through the CLI within 2 s, live', async () => {
    await page.goto(`${ui.origin}/ui/#/sessions`);
    await page.waitForSelector('[data-testid=sessions-table]');
    const name = uniqueName('cli');
    const run = await runCli(dirs.socket, ['run', '--name', name, '--image', FIXTURE_IMAGE, '--label', label]);
    expect(run.code, run.stderr).toBe(0);
    made.push(run.stdout.trim());
    const row = await page.waitForSelector(`tr[data-session="${name}"]`, { timeout: 2000 });
    expect(await row.textContent()).toContain('running');
  });

  it('creates a session from the page, runs 6*7 in its terminal, follows a resize, uploads a file, charts it, and removes it', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${ui.origin}/ui/#/sessions`);
    const name = uniqueName('page');
    await page.click('details.create summary');
    await page.fill('[data-testid=create-form] input[name=name]', name);
    await page.fill('[data-testid=create-form] input[name=image]', FIXTURE_IMAGE);
    await page.fill('[data-testid=create-form] input[name=labels]', label);
    await page.click('[data-testid=create-form] button[type=submit]');
    const row = await page.waitForSelector(`tr[data-session="${name}"]`, { timeout: 60_000 });
    await page.waitForFunction((n) => document.querySelector(`tr[data-session="${n}"]`)?.textContent?.includes('running'), name);
    const s = await d.client.sessions.get(name);
    made.push(s.id);
    expect(s.state).toBe('running');
    expect(s.labels[TEST_LABEL]).toBe(runId());
    expect(s.spec.network).toBe('none');
    await shot('sessions-with-rows');
    expect(await row.textContent()).toContain(FIXTURE_IMAGE);

    // The terminal: over berth's WebSocket protocol (the session has network none).
    await page.goto(`${ui.origin}/ui/#/s/${s.id}/terminal`);
    await page.waitForFunction(() => document.querySelector('[data-testid=term-status]')?.textContent?.startsWith('connected'));
    await page.click('[data-testid=terminal]');
    await page.keyboard.type('echo $((6*7))\n');
    await waitTerm(page, '^42\\s*$');
    expect(await termText(page)).toMatch(/^42\s*$/m);
    await shot('terminal');

    const sttyShows = async (size: { cols: number; rows: number }) => {
      await page.keyboard.type('stty size\n');
      await waitTerm(page, `^${size.rows} ${size.cols}\\s*$`);
    };
    const before = await termSize(page);
    await sttyShows(before);
    await page.setViewportSize({ width: 900, height: 600 });
    await page.waitForFunction((b) => {
      const t = (window as unknown as TermWindow).berthTerm!;
      return t.cols !== b.cols && t.rows !== b.rows;
    }, before);
    const after = await termSize(page);
    expect(after.cols).toBeLessThan(before.cols);
    expect(after.rows).toBeLessThan(before.rows);
    await page.keyboard.type('clear\n');
    await sttyShows(after);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Upload through the file browser, read back with `berth exec`.
    await page.goto(`${ui.origin}/ui/#/s/${s.id}/files`);
    await page.waitForSelector('[data-testid=files-table]');
    const content = `hello from the browser ${runId()}\n`;
    await page.setInputFiles('[data-testid=upload]', { name: 'from-browser.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
    await page.waitForSelector('tr[data-file="from-browser.txt"]');
    await shot('files');
    const cat = await runCli(dirs.socket, ['exec', s.id, '--', 'cat', `${s.baseDir}/from-browser.txt`]);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe(content);

    // Charts from the stored samples.
    await page.goto(`${ui.origin}/ui/#/s/${s.id}/charts`);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=charts] figure')].length === 4 && [...document.querySelectorAll('[data-testid=charts] figure')].every((f) => Number(f.getAttribute('data-points')) > 0), undefined, { timeout: 30_000 });
    expect(await page.locator('[data-testid=charts] svg path.line').count()).toBe(4);
    await shot('charts');

    for (const tab of ['overview', 'logs']) {
      await page.goto(`${ui.origin}/ui/#/s/${s.id}/${tab}`);
      await page.waitForSelector(tab === 'overview' ? '[data-testid=security-score]' : '[data-testid=logs]');
      await page.waitForTimeout(300);
      await shot(`session-${tab}`);
    }
    for (const p of ['events', 'audit', 'workflows', 'storage']) {
      await page.goto(`${ui.origin}/ui/#/${p}`);
      await page.waitForSelector('main h1');
      await page.waitForFunction(() => !document.querySelector('main .spinner'), undefined, { timeout: 20_000 });
      await shot(p);
    }
    await page.goto(`${ui.origin}/ui/#/audit`);
    await page.waitForSelector('[data-testid=audit]');
    expect(await page.locator('[data-testid=audit]').textContent()).toContain('POST /v1/sessions');

    // A phone's width: the table still renders, without a horizontal page scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ui.origin}/ui/#/sessions`);
    await page.waitForSelector(`tr[data-session="${name}"]`);
    await shot('sessions-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Remove from the page (confirmed), and no container is left on the engine.
    await page.goto(`${ui.origin}/ui/#/sessions`);
    await page.click(`[data-testid="remove-${name}"]`);
    await shot('remove-confirm');
    await page.click(`[data-testid="remove-${name}-confirm"]`);
    await page.waitForFunction((n) => !document.querySelector(`tr[data-session="${n}"]`) || document.querySelector(`tr[data-session="${n}"]`)?.textContent?.includes('ended'), name, { timeout: 60_000 });
    expect((await d.client.sessions.get(s.id)).state).toBe('ended');
    const berth = await Berth.connect({ engine });
    try {
      const left = await berth.engineClient.listContainers([`${TEST_LABEL}=${runId()}`], true);
      expect(left.filter((c) => c.Names.some((n) => n.replace(/^\//, '') === s.containerName))).toEqual([]);
    } finally {
      await berth.close();
    }
  });

  it("draws a workflow run's DAG with each step's status, duration and log tail", async () => {
    const source = ['name: dash', `image: ${FIXTURE_IMAGE}`, 'steps:', '  - { id: fetch, command: [sh, -c, "echo fetched-$((20+1))"] }', '  - { id: build, needs: [fetch], command: [sh, -c, "echo built"] }', '  - { id: lint, needs: [fetch], command: [sh, -c, "echo linted >&2"] }', '  - { id: ship, needs: [build, lint], command: [sh, -c, "echo shipped"] }'].join('\n');
    const started = await d.client.workflows.start({ source, baseDir: dirs.dir, labels: { [TEST_LABEL]: runId() }, file: 'dash.yaml' });
    const done = await d.client.workflows.watch(started.id);
    expect(done.status).toBe('succeeded');
    await page.goto(`${ui.origin}/ui/#/workflows`);
    await page.waitForSelector('svg.dag g.node');
    expect(await page.locator('svg.dag g.node').count()).toBe(4);
    expect(await page.locator('svg.dag path.edge').count()).toBe(4);
    expect(await page.locator('svg.dag g.st-succeeded').count()).toBe(4);
    await page.click('button[aria-expanded]');
    await page.waitForSelector('pre.tail');
    expect(await page.locator('main').textContent()).toContain('fetched-21');
    await shot('workflows');
  });

  it("the TCP listener serves /ui/ too: the token (typed, or `berth --url ... ui`'s one-time link) logs in; the terminal works through the cookie", async () => {
    const origin = `http://${tcp}`;
    expect((await raw(origin, '/ui/')).status).toBe(303);
    expect((await raw(origin, '/v1/sessions')).status).toBe(401);
    expect((await raw(origin, '/v1/sessions', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await raw(origin, '/v1/ui/login-codes', { method: 'POST' })).status).toBe(401);

    const typed = await browser.newContext();
    const p1 = await typed.newPage();
    await p1.goto(`${origin}/ui/login`);
    await p1.fill('input[name=token]', 'wrong-token-wrong-token');
    await p1.click('button[type=submit]');
    expect(await p1.textContent('body')).toContain('Wrong token');
    await shot('login', p1);
    await p1.fill('input[name=token]', TOKEN);
    await p1.click('button[type=submit]');
    await p1.waitForSelector('[data-testid=sessions-table]');
    await typed.close();

    const tokenFile = join(dirs.dir, 'token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    const printed = await runCli(dirs.socket, ['--url', origin, '--token-file', tokenFile, 'ui']);
    expect(printed.code, printed.stderr).toBe(0);
    const link = printed.stdout.trim();
    expect(link).toMatch(new RegExp(`^${origin}/ui/login\\?code=`));
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      await p.goto(link);
      await p.waitForSelector('[data-testid=sessions-table]');
      const s = await d.client.sessions.create({ image: FIXTURE_IMAGE, labels: { [TEST_LABEL]: runId() } });
      made.push(s.id);
      await p.goto(`${origin}/ui/#/s/${s.id}/terminal`);
      await p.waitForFunction(() => document.querySelector('[data-testid=term-status]')?.textContent?.startsWith('connected'));
      await p.click('[data-testid=terminal]');
      await p.keyboard.type('echo tcp-$((40+2))\n');
      await waitTerm(p, '^tcp-42\\s*$');
      // A state change through the cookie (CSRF header sent by the page) is audited as the token's holder.
      await p.goto(`${origin}/ui/#/sessions`);
      await p.click(`[data-testid="remove-${s.name}"]`);
      await p.click(`[data-testid="remove-${s.name}-confirm"]`);
      await p.waitForFunction((n) => document.querySelector(`tr[data-session="${n}"]`)?.textContent?.includes('ended'), s.name);
      const audit = await d.client.security.audit({ limit: 50 });
      expect(audit.some((a) => a.action === 'DELETE /v1/sessions/:id' && a.actor.startsWith('token:') && a.result === 'ok')).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  it('ctrl-c closes `berth ui`: its port answers no more', async () => {
    const other = await startBerthUi(dirs.socket);
    expect((await raw(other.origin, '/ui/login')).status).toBe(200);
    other.child.kill('SIGINT');
    expect(await other.exited).toBe(0);
    await expect(raw(other.origin, '/ui/login')).rejects.toThrow(/ECONNREFUSED/);
  });
});
