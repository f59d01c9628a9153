import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Pids of live (not zombie) processes whose command line matches `pattern`. */
export function livePids(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });
}

/** Stops the engine's service (SIGTERM) and waits until its process is gone (or a zombie). */
export async function stopEngineService(engine: 'docker' | 'podman'): Promise<void> {
  const pattern = engine === 'docker' ? '^dockerd' : 'podman system service';
  for (const pid of livePids(pattern)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 600 && livePids(pattern).length; i++) await sleep(100);
  if (livePids(pattern).length) throw new Error(`${engine} did not stop within 60 s`);
}

/** Starts the engine's service again through the project's bootstrap script (it waits for /_ping). */
export function startEngineService(engine: 'docker' | 'podman'): void {
  execFileSync('bash', [`${ROOT}scripts/bootstrap-engines.sh`], { env: { ...process.env, BERTH_ENGINES: engine }, stdio: 'pipe' });
}
