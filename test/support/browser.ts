import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (installed by scripts/browser.sh); playwright-core cannot download one here. */
export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

/** Headless chromium; the suite fails when it is missing (no silent pass). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-extensions'],
  });
}

/** Where the run's screenshots go (git-ignored): test-results/screenshots/. */
export function screenshotDir(): string {
  const dir = new URL('../../test-results/screenshots/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** `berth ui` against a daemon's socket: resolves with its one-time URL and origin. */
export async function startBerthUi(socket: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; origin: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, '--socket', socket, 'ui', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+\/ui\/login\?code=\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`berth ui exited with ${code}: ${out}`)));
  });
  return { child, url, origin: new URL(url).origin, exited };
}
