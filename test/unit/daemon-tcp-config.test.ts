import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { loadConfig } from '../../src/daemon/config.js';
import { isLoopback } from '../../src/daemon/token-file.js';
import { clientOptions, refuseTokenInArgv } from '../../src/cli/client-factory.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-tcpconf-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const token = 'a-token-of-more-than-16-chars';
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    return (e as BerthError).details.problems?.map((p) => `${p.path}: ${p.message}`) ?? [(e as Error).message];
  }
  return [];
};

describe('TCP configuration', () => {
  it('plain TCP on a non-loopback address is refused unless TLS or --insecure-tcp', () => {
    expect(problemsOf(() => loadConfig({ dataDir: dir, tcp: '0.0.0.0:7000' }, { BERTH_TOKEN: token })).join()).toMatch(/tcp: plain TCP is for loopback only/);
    expect(problemsOf(() => loadConfig({ dataDir: dir, tcp: '0.0.0.0:7000', insecureTcp: true }, { BERTH_TOKEN: token }))).toEqual([]);
    expect(problemsOf(() => loadConfig({ dataDir: dir, tcp: '0.0.0.0:7000', tlsCert: '/c.pem', tlsKey: '/k.pem' }, { BERTH_TOKEN: token }))).toEqual([]);
    expect(problemsOf(() => loadConfig({ dataDir: dir, tcp: '127.0.0.1:7000' }, { BERTH_TOKEN: token }))).toEqual([]);
    expect(problemsOf(() => loadConfig({ dataDir: dir, tcp: '127.0.0.1:7000', tlsCert: '/c.pem' }, { BERTH_TOKEN: token })).join()).toMatch(/tlsKey/);
    for (const h of ['127.0.0.1:1', '127.9.9.9:1', 'localhost:1', '[::1]:1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0:1', '10.0.0.1:1', '[::]:1', 'example.com:1', '127.0.0.1.evil.com:1']) expect(isLoopback(h), h).toBe(false);
  });

  it('reads the token from a 0600 file, and refuses a file others can read', () => {
    const f = join(dir, 'token');
    writeFileSync(f, `${token}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
    expect(loadConfig({ dataDir: dir, tcp: '127.0.0.1:7000', tokenFile: f }, {}).token).toBe(token);
    chmodSync(f, 0o644);
    expect(() => loadConfig({ dataDir: dir, tcp: '127.0.0.1:7000', tokenFile: f }, {})).toThrow(/readable by others .*chmod 600/);
  });

  it('a token in argv is refused with a message naming --token-file and BERTH_TOKEN', async () => {
    expect(() => refuseTokenInArgv(token)).toThrow(/--token-file FILE, or set BERTH_TOKEN/);
    await expect(clientOptions({ url: 'http://127.0.0.1:1', token })).rejects.toThrow(/--token is refused/);
    const f = join(dir, 'token');
    writeFileSync(f, token, { mode: 0o600 });
    expect(await clientOptions({}, { BERTH_URL: 'https://127.0.0.1:1', BERTH_TOKEN_FILE: f })).toEqual({ url: 'https://127.0.0.1:1', token });
    expect(await clientOptions({ socket: '/s' }, { BERTH_URL: 'https://127.0.0.1:1' })).toEqual({ socketPath: '/s' });
  });
});
