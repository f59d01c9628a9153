import { describe, expect, it } from 'vitest';
import { auditWriter } from '../../src/api/audit-hook.js';
import { silentLogger } from '../../src/common/logger.js';
import { AUDIT_FIELD_BYTES, auditLimits, clip } from '../../src/store/audit-limits.js';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { openDatabase } from '../../src/store/database.js';

const repo = () => new AuditRepository(openDatabase({ path: ':memory:' }).db);
const event = (o: { status?: number; peer?: string; action?: string } = {}) => ({
  peer: o.peer,
  at: 1000,
  action: o.action ?? 'POST /v1/sessions',
  target: '',
  result: 'ok',
  status: o.status ?? 200,
  requestId: 'r1',
});

describe('audit bounds', () => {
  it('an attacker-sized path is cut to 256 bytes in every text field (on a character boundary)', () => {
    const audit = repo();
    const huge = `/${'é'.repeat(8000)}`;
    audit.append({ at: 1, actor: huge, action: `POST ${huge}`, target: huge, result: huge, status: 401, durationMs: 0, requestId: huge, peer: huge });
    const [row] = audit.list();
    for (const f of ['actor', 'action', 'target', 'result', 'requestId', 'peer'] as const) {
      expect(Buffer.byteLength(row![f]), f).toBeLessThanOrEqual(AUDIT_FIELD_BYTES);
      expect(row![f]).not.toContain('\uFFFD');
    }
    expect(clip('short')).toBe('short');
  });

  it('an unauthenticated flood gets at most N rows a minute, then one row with the count of the rest', () => {
    const audit = repo();
    let now = 0;
    const write = auditWriter({ audit, unixActor: 'uid:0', listener: 'tcp', token: 'x'.repeat(32), unauthenticatedPerMinute: 5, now: () => now, log: silentLogger() });
    for (let i = 0; i < 500; i++) write(event({ status: 401, peer: '127.0.0.1:5000' }));
    expect(audit.count()).toBe(5);
    now = 61_000;
    write(event({ status: 401, peer: '127.0.0.1:5000' }));
    const rows = audit.list();
    expect(rows).toHaveLength(7);
    expect(rows[5]).toMatchObject({ actor: 'tcp:unauthenticated', action: 'unauthenticated requests not recorded', target: '495' });
    expect(rows[0]).toMatchObject({ actor: 'tcp:unauthenticated', peer: '127.0.0.1:5000' });
  });

  it('the actor comes from the listener: a TCP request whose socket is gone is the token, never the unix socket root', () => {
    const audit = repo();
    const tcp = auditWriter({ audit, unixActor: 'uid:0', listener: 'tcp', token: 'y'.repeat(32), log: silentLogger() });
    tcp(event({ peer: undefined }));
    expect(audit.list()[0]!.actor).toMatch(/^token:[0-9a-f]{12}$/);
    const unix = auditWriter({ audit, unixActor: 'uid:0', listener: 'unix', log: silentLogger() });
    unix(event());
    expect(audit.list()[1]!.actor).toBe('uid:0');
  });

  it('retention keeps the newest maxRows and nothing older than maxAgeMs', () => {
    const audit = repo();
    for (let i = 0; i < 100; i++) audit.append({ at: i * 1000, actor: 'a', action: `x${i}`, target: '', result: 'ok', status: 200, durationMs: 0, requestId: '' });
    expect(audit.prune({ maxRows: 30, maxAgeMs: 1e12, now: 100_000 })).toBe(70);
    expect(audit.list().map((r) => r.action)[0]).toBe('x70');
    expect(audit.prune({ maxRows: 30, maxAgeMs: 10_000, now: 100_000 })).toBe(20);
    expect(audit.count()).toBe(10);
    expect(auditLimits({ maxRows: 5 })).toMatchObject({ maxRows: 5, maxAgeMs: 90 * 86_400_000, unauthenticatedPerMinute: 60 });
  });
});
