import { readFile } from 'node:fs/promises';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { runExec } from '../exec/run-exec.js';
import type { MountValidator } from './mount-validator.js';
import { parseProcStatus, type ProcessSecurity } from './proc-status.js';
import { scoreContainer, type SecurityReport } from './security-score.js';

/** Gathers what `scoreContainer` needs: the inspect data and, while running, PID 1's status. */
export class SecurityScorer {
  constructor(
    private readonly engine: Engine,
    private readonly mounts: MountValidator,
    private readonly log: Logger,
  ) {}

  /** The report of a container by id or name; `NotFound` when there is none. */
  async score(containerId: string): Promise<SecurityReport> {
    const info = await this.engine.inspectContainer(containerId);
    // Under a sandboxed runtime (gVisor …) the host pid is the sandbox, not the container's PID 1.
    const runtime = info.HostConfig.Runtime ?? '';
    const hostPid = ['', 'runc', 'crun', 'io.containerd.runc.v2', 'oci'].includes(runtime) ? info.State.Pid : 0;
    const proc = info.State.Running ? await this.readPid1(info.Id, hostPid) : undefined;
    return scoreContainer(info, proc, this.mounts);
  }

  /** From inside (`cat /proc/1/status /proc/1/limits`); from the host's /proc (when `hostPid` is given) if the image has no `cat`. */
  private async readPid1(id: string, hostPid: number): Promise<ProcessSecurity | undefined> {
    try {
      const r = await runExec(this.engine, id, { cmd: ['cat', '/proc/1/status', '/proc/1/limits'], timeoutMs: 10_000, maxOutputBytes: 64 * 1024 }, this.log);
      if (r.exitCode === 0) return parseProcStatus(r.stdout, r.stdout);
    } catch (err) {
      this.log.debug({ err, containerId: id.slice(0, 12) }, 'reading /proc/1/status inside failed; trying the host');
    }
    if (!hostPid) return undefined;
    try {
      const [status, limits] = await Promise.all([readFile(`/proc/${hostPid}/status`, 'utf8'), readFile(`/proc/${hostPid}/limits`, 'utf8')]);
      return parseProcStatus(status, limits);
    } catch {
      return undefined;
    }
  }
}
