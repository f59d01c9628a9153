import type { AuditQuery, SecurityApi } from '../security/security-api.js';
import type { SecurityReport } from '../security/security-score.js';
import type { AuditEntry } from '../store/audit-repository.js';
import { call, query, seg, type Endpoint } from './http.js';

/** `SecurityApi` through the daemon. */
export class SecurityClient implements SecurityApi {
  constructor(private readonly ep: Endpoint) {}

  score(session: string): Promise<SecurityReport> {
    return call(this.ep, 'GET', `/v1/sessions/${seg(session)}/security`);
  }

  audit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return call(this.ep, 'GET', `/v1/audit?${query({ since: q.since, limit: q.limit })}`);
  }
}
