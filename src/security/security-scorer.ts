import { readFile } from 'node:fs/promises';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { runExec } from '../exec/run-exec.js';
import type { MountValidator } from './mount-validator.js';
import { parseProcStatus, type ProcessSecurity } from './proc-status.js';
import { scoreContainer, type SecurityReport } from './security-score.js';
import { uidOf } from './image-user.js';

/** Bytes of an image's /etc/passwd read to find a user's uid. */
const PASSWD_MAX_BYTES = 1024 * 1024;

/** Gathers what `scoreContainer` needs: the inspect data and, while running, PID 1's status. */
export class SecurityScorer {
  constructor(
    private readonly engine: Engine,
    private readonly mounts: MountValidator,
    private readonly log: Logger,
    /** Reads a file of a container (its image's /etc/passwd, for a user given by name); default none: such a user's uid is unknown. */
    private readonly readFile?: (id: string, path: string, maxBytes: number) => Promise<Buffer>,
  ) {}

  /** The report of a container by id or name; `NotFound` when there is none. */
  async score(containerId: string): Promise<SecurityReport> {
    const info = await this.engine.inspectContainer(containerId);
    // Under a sandboxed runtime (gVisor …) the host pid is the sandbox, not the container's PID 1.
    const runtime = info.HostConfig.Runtime ?? '';
    const hostPid = ['', 'runc', 'crun', 'io.containerd.runc.v2', 'oci'].includes(runtime) ? info.State.Pid : 0;
    const proc = info.State.Running ? await this.readPid1(info.Id, hostPid) : undefined;
    const user = info.Config.User ?? '';
    const configUid = user ? await uidOf(user, async () => (this.readFile ? (await this.readFile(info.Id, '/etc/passwd', PASSWD_MAX_BYTES)).toString('utf8') : '')) : 0;
    return scoreContainer(info, proc, this.mounts, { ...(configUid !== undefined ? { configUid } : {}), usernsRemap: this.engine.host.usernsRemap ?? false });
  }

  /** From inside (`cat /proc/1/status /proc/1/limits`); from the host's /proc (when `hostPid` is given) if the image has no `cat`. */
  private async readPid1(id: string, hostPid: number): Promise<ProcessSecurity | undefined> {
    try {
      const r = await runExec(this.engine, id, { cmd: ['cat', '/proc/1/status', '/proc/1/limits', '/proc/1/uid_map'], timeoutMs: 10_000, maxOutputBytes: 64 * 1024 }, this.log);
      if (r.exitCode === 0) return parseProcStatus(r.stdout, r.stdout);
    } catch (err) {
      this.log.debug({ err, containerId: id.slice(0, 12) }, 'reading /proc/1/status inside failed; trying the host');
    }
    if (!hostPid) return undefined;
    try {
      const [status, limits, uidMap] = await Promise.all([readFile(`/proc/${hostPid}/status`, 'utf8'), readFile(`/proc/${hostPid}/limits`, 'utf8'), readFile(`/proc/${hostPid}/uid_map`, 'utf8').catch(() => '')]);
      return parseProcStatus(status, `${limits}\n${uidMap}`);
    } catch {
      return undefined;
    }
  }
}
