import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/index.js';
import { DEFAULT_SECRET_ENV_PATTERNS, nameMatcher, REDACTED, revealEnv, splitEnv, takeHostEnv } from '../../src/session/secret-env.js';
import { openDatabase } from '../../src/store/database.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { SessionRepository } from '../../src/store/session-repository.js';
import { secretValues } from '../../src/cli/parse.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'berth-secret-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('secret env names', () => {
  it('matches the default patterns case-insensitively, and nothing else', () => {
    const secret = nameMatcher(DEFAULT_SECRET_ENV_PATTERNS);
    for (const n of ['GITHUB_TOKEN', 'openai_api_key', 'AWS_SECRET', 'DB_PASSWORD', 'PASSWORD', 'MY_PASSWORD_FILE']) expect(secret(n), n).toBe(true);
    for (const n of ['PATH', 'HOME', 'TOKENIZER', 'KEYBOARD', 'SECRETARY_NAME']) expect(secret(n), n).toBe(false);
  });

  it('a glob with regex characters in it does not become a regex (no name-pattern injection)', () => {
    expect(() => takeHostEnv(['.*'], { A: '1' })).toThrow(BerthError);
    expect(() => takeHostEnv(['A|B'], { A: '1' })).toThrow(/not a name pattern/);
  });

  it('envFromHost never takes BERTH_* (the daemon token), whatever the pattern', () => {
    const host = { BERTH_TOKEN: 'tok', BERTH_URL: 'u', DATABRICKS_HOST: 'h', DATABRICKS_TOKEN: 't', OTHER: 'o' };
    expect(takeHostEnv(['*'], host)).toEqual({ DATABRICKS_HOST: 'h', DATABRICKS_TOKEN: 't', OTHER: 'o' });
    expect(takeHostEnv(['BERTH_*'], host)).toEqual({});
    expect(takeHostEnv(['DATABRICKS_*'], host)).toEqual({ DATABRICKS_HOST: 'h', DATABRICKS_TOKEN: 't' });
  });

  it('splits env into what is shown (*** for secrets) and the secret values, and puts them back', () => {
    const { shown, secret } = splitEnv({ A: '1', API_KEY: 'k', X: 'x' }, (n) => n === 'X' || nameMatcher(DEFAULT_SECRET_ENV_PATTERNS)(n));
    expect(shown).toEqual({ A: '1', API_KEY: REDACTED, X: REDACTED });
    expect(secret).toEqual({ API_KEY: 'k', X: 'x' });
    expect(revealEnv({ spec: shown, defaults: undefined }, { spec: secret, defaults: {} })).toEqual({ spec: { A: '1', API_KEY: 'k', X: 'x' }, defaults: undefined });
  });

  it('the CLI takes --secret-env NAME from its own environment and --env-from-host by glob', () => {
    const env = { MY_KEY: 'from-env', DATABRICKS_HOST: 'h', BERTH_TOKEN: 'no' };
    expect(secretValues(['MY_KEY', 'B=literal'], ['DATABRICKS_*', 'BERTH_*'], env)).toEqual({ MY_KEY: 'from-env', B: 'literal', DATABRICKS_HOST: 'h' });
    expect(() => secretValues(['UNSET_ONE'], undefined, env)).toThrow(/not set in your environment/);
  });
});

describe('SecretBox and the session store', () => {
  it('keeps secret values out of the database file: sealed with a 0600 key file beside it; another key cannot open them', () => {
    const dir = tempDir();
    const path = join(dir, 'berth.db');
    const { db } = openDatabase({ path });
    const repo = new SessionRepository(db, SecretBox.forDatabase(path));
    const canary = `canary-${Date.now()}-value`;
    repo.insert({
      id: 's-1', name: 'one', spec: { image: 'x', env: { API_TOKEN: REDACTED } } as never, labels: {}, engine: 'docker', containerName: 'berth-s-1', baseDir: '/w', confine: true,
      secrets: { spec: { API_TOKEN: canary }, defaults: {} }, envFromHost: { patterns: ['API_*'], taken: ['API_TOKEN'] }, now: 1,
    });
    repo.setExecDefaults('s-1', { env: { DB_PASSWORD: REDACTED } }, { DB_PASSWORD: `${canary}-2` });
    db.pragma('wal_checkpoint(TRUNCATE)');
    const s = repo.get('s-1')!;
    expect(s.spec.env).toEqual({ API_TOKEN: REDACTED });
    expect(s.secretEnv).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(s.envFromHost).toEqual({ patterns: ['API_*'], taken: ['API_TOKEN'] });
    expect(repo.secrets('s-1')).toEqual({ spec: { API_TOKEN: canary }, defaults: { DB_PASSWORD: `${canary}-2` } });
    db.close();
    expect(readFileSync(path).includes(canary)).toBe(false);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'secret.key'), Buffer.alloc(32, 7));
    const again = openDatabase({ path });
    expect(() => new SessionRepository(again.db, SecretBox.forDatabase(path)).secrets('s-1')).toThrow(/cannot be opened/);
    again.db.close();
  });
});

describe('workflow runs', () => {
  it('a step env value under a secret name is stored as *** in the run (the step still gets it)', async () => {
    const { WorkflowManager } = await import('../../src/workflow/workflow-manager.js');
    const { WorkflowRepository } = await import('../../src/store/workflow-repository.js');
    const { silentLogger } = await import('../../src/common/logger.js');
    const dir = tempDir();
    const path = join(dir, 'berth.db');
    const { db } = openDatabase({ path });
    const repo = new WorkflowRepository(db);
    const seen: Array<Record<string, string>> = [];
    const wm = new WorkflowManager({
      sessions: {} as never,
      files: {} as never,
      repo,
      workDir: join(dir, 'wf'),
      log: silentLogger(),
      executor: () => async (step) => {
        seen.push(step.env);
        return { exitCode: 0, logTail: '' };
      },
    });
    const canary = `wf-canary-${Date.now()}`;
    const run = await wm.start({ source: ['name: w', 'image: img:1', 'steps:', '  - id: a', '    command: [env]', `    env: { API_TOKEN: ${canary}, PLAIN: p }`].join('\n') });
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen[0]).toMatchObject({ API_TOKEN: canary, PLAIN: 'p' });
    expect(repo.get(run.id)!.spec.steps[0]!.env).toEqual({ API_TOKEN: '***', PLAIN: 'p' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(canary)).toBe(false);
    await wm.close();
    db.close();
  });
});
