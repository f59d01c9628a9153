import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.js';
import type { Engine } from '../engine/engine.js';
import { EXEC_MARKER_ENV } from './exec-options.js';
import { proveContainerProcess, startTicks } from './host-pid.js';

/**
 * Kills every process in the container whose environment carries the exec's marker,
 * so children die with their parent. Runs as the exec's own user (it may read that
 * user's /proc/PID/environ and signal its processes without extra capabilities).
 * All are stopped before any is killed, so a parent cannot run on after its child dies;
 * repeated until none is left. The marker is an argument, never spliced into the script.
 */
const KILL_SCRIPT = `i=0
while [ $i -lt 5 ]; do
  pids=""
  for p in /proc/[0-9]*; do
    if tr '\\000' '\\n' < "$p/environ" 2>/dev/null | grep -qx "${EXEC_MARKER_ENV}=$1"; then pids="$pids \${p#/proc/}"; fi
  done
  [ -z "$pids" ] && exit 0
  kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null
  i=$((i+1))
done; exit 0`;

/**
 * Kills the exec's process tree from inside the container (KILL_SCRIPT). When that fails
 * (an image without sh, tr or grep) and the exec still runs, its host PID is signalled
 * only once proven to be the container's process (see proveContainerProcess), which needs
 * `notBeforeUptime` (seconds since boot when the exec was created); otherwise nothing on
 * the host is signalled and a warning says so.
 */
export async function killExecTree(
  engine: Engine,
  containerId: string,
  execId: string,
  marker: string,
  user: string | undefined,
  log: Logger,
  o: { notBeforeUptime?: number } = {},
): Promise<void> {
  try {
    const killer = await engine.createExec(containerId, {
      cmd: ['sh', '-c', KILL_SCRIPT, 'berth-kill', marker],
      ...(user ? { user } : {}),
      stdin: false,
      tty: false,
    });
    const stream = await engine.startExec(killer, { stdin: false, tty: false });
    stream.resume();
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    for (let i = 0; i < 50; i++) {
      const s = await engine.inspectExec(killer);
      if (!s.running) break;
      await sleep(10);
    }
  } catch (err) {
    log.warn({ err, execId }, 'in-container kill failed; trying the host pid');
  }
  const state = await engine.inspectExec(execId).catch(() => undefined);
  if (!state?.running || state.pid <= 0) return;
  const skip = (why: string) => log.warn({ execId, pid: state.pid }, `the exec still runs; its host pid is not signalled: ${why}`);
  if (!engine.info.socketPath.startsWith('/') || o.notBeforeUptime === undefined) return skip('the engine is not on this host');
  const info = await engine.inspectContainer(containerId).catch(() => undefined);
  if (!info) return skip('the container cannot be inspected');
  const proven = await proveContainerProcess(state.pid, { containerId: info.Id, containerPid: info.State.Pid, notBeforeUptime: o.notBeforeUptime });
  if (proven === undefined) return skip('it is not proven to be this container\'s process (cgroup, PID namespace, start time)');
  if ((await startTicks(state.pid)) !== proven) return skip('the process changed while it was checked');
  try {
    process.kill(state.pid, 'SIGKILL');
  } catch (err) {
    log.warn({ err, execId, pid: state.pid }, 'could not kill the exec by host pid');
  }
}
