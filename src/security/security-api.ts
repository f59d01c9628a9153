import { BerthError } from '../common/errors.js';
import type { SessionManager } from '../session/session-manager.js';
import type { AuditEntry, AuditRepository } from '../store/audit-repository.js';
import type { SecurityReport } from './security-score.js';
import type { SecurityScorer } from './security-scorer.js';

export interface AuditQuery {
  /** Unix ms; default: all. */
  since?: number;
  /** Default 1000 (the newest). */
  limit?: number;
}

/** Security scores and the audit log; the same interface in-process (`Berth.security`) and through the daemon. */
export interface SecurityApi {
  /** The security report of a session's container (0–100 and each failed check). */
  score(session: string): Promise<SecurityReport>;
  /** State-changing requests the daemon served, oldest first. */
  audit(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** In-process `SecurityApi`, plus scores of any container by id. */
export class SecurityService implements SecurityApi {
  constructor(
    private readonly sessions: SessionManager,
    private readonly scorer: SecurityScorer | undefined,
    private readonly auditLog: AuditRepository,
  ) {}

  async score(session: string): Promise<SecurityReport> {
    const s = await this.sessions.get(session);
    if (s.backend === 'local') {
      throw new BerthError('Conflict', `session ${s.name} runs on the local backend (host processes, no container): there is nothing to score; use the engine backend for isolation`);
    }
    if (!s.containerId) throw new BerthError('Conflict', `session ${s.name} has no container yet (state ${s.state})`);
    return this.scoreContainer(s.containerId);
  }

  /** The report of any container on the engine, by id or name. */
  async scoreContainer(idOrName: string): Promise<SecurityReport> {
    if (!this.scorer) throw new BerthError('EngineUnavailable', 'berth runs without a container engine; security scores need one');
    return this.scorer.score(idOrName);
  }

  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.auditLog.list(query);
  }
}
