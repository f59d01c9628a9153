import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { BerthError } from '../common/errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Takes `<dataDir>/daemon.lock` (holding our pid) so two daemons never share a data
 * dir. A lock left by a dead process (or a zombie) is taken over. Returns the release.
 */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) rmSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new BerthError('Conflict', `another berth daemon (pid ${pid}) uses this data dir (lock ${path}); stop it, or give this one its own --data-dir`, {
          details: { pid, lock: path },
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new BerthError('Conflict', `could not take the lock ${path}`);
}
