import { homedir } from 'node:os';
import { join } from 'node:path';

const isRoot = () => process.getuid?.() === 0;

/** `/var/lib/berth` as root, else `$XDG_DATA_HOME/berth` (default `~/.local/share/berth`). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (isRoot()) return '/var/lib/berth';
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'berth');
}

/** `BERTH_SOCKET`, else `/run/berth/berth.sock` as root, else `$XDG_RUNTIME_DIR/berth.sock`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_SOCKET) return env.BERTH_SOCKET;
  if (isRoot()) return '/run/berth/berth.sock';
  return join(env.XDG_RUNTIME_DIR ?? join(homedir(), '.berth'), 'berth.sock');
}
