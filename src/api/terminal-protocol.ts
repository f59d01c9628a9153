import { invalidArgument } from '../common/errors.js';
import type { ShellExit, ShellOptions } from '../interactive/shell-stream.js';

/**
 * The terminal WebSocket protocol (`/v1/sessions/{id}/shell`, `/attach`):
 * - query: `cmd` (repeated, argv), `cols`, `rows`, `env` (repeated `K=V`), `user`, `workdir`, `detachKeys`;
 * - binary frames: terminal bytes, both ways;
 * - text frames: JSON control. Client → daemon `{ "type": "resize", "cols", "rows" }`;
 *   daemon → client `{ "type": "ready" }` once the shell is open, then at the end
 *   `{ "type": "exit", "exitCode", "detached" }`, or `{ "type": "error", "error": { code, message } }`;
 * - close codes: 4000 + exit code (0–255), 4300 detached, 4500 error, 4999 exit code unknown.
 */
export type ControlMessage = { type: 'resize'; cols: number; rows: number };

export type ServerMessage = { type: 'ready' } | ({ type: 'exit' } & ShellExit) | { type: 'error'; error: { code: string; message: string } };

export const CLOSE_DETACHED = 4300;
export const CLOSE_ERROR = 4500;

export function closeCodeFor(e: ShellExit): number {
  if (e.detached) return CLOSE_DETACHED;
  return e.exitCode !== null && e.exitCode >= 0 && e.exitCode <= 255 ? 4000 + e.exitCode : 4999;
}

/** The exit a close code stands for, when no exit message came first. */
export function exitFromCloseCode(code: number): ShellExit | undefined {
  if (code === CLOSE_DETACHED) return { exitCode: null, detached: true };
  if (code >= 4000 && code <= 4255) return { exitCode: code - 4000, detached: false };
  if (code === 4999) return { exitCode: -1, detached: false };
  return undefined;
}

const int = (v: string | null, name: string) => {
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidArgument([{ path: name, message: 'must be a whole number' }], 'shell request');
  return n;
};

/** Shell options from the query (validated later, with the rest, by the shell itself). */
export function shellOptionsFromQuery(q: URLSearchParams): ShellOptions {
  const cmd = q.getAll('cmd');
  const env = q.getAll('env');
  const envObj: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i <= 0) throw invalidArgument([{ path: 'env', message: `"${kv}" is not K=V` }], 'shell request');
    envObj[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const cols = int(q.get('cols'), 'cols');
  const rows = int(q.get('rows'), 'rows');
  return {
    ...(cmd.length ? { cmd } : {}),
    ...(cols !== undefined ? { cols } : {}),
    ...(rows !== undefined ? { rows } : {}),
    ...(env.length ? { env: envObj } : {}),
    ...(q.get('user') ? { user: q.get('user') as string } : {}),
    ...(q.get('workdir') ? { workdir: q.get('workdir') as string } : {}),
    ...(q.get('detachKeys') !== null ? { detachKeys: q.get('detachKeys') as string } : {}),
    ...(q.get('resume') ? { resume: q.get('resume') as string } : {}),
  };
}

/** The query for shell options (the client's side of `shellOptionsFromQuery`). */
export function queryFromShellOptions(o: ShellOptions): URLSearchParams {
  const q = new URLSearchParams();
  for (const c of o.cmd ?? []) q.append('cmd', c);
  for (const [k, v] of Object.entries(o.env ?? {})) q.append('env', `${k}=${v}`);
  if (o.cols !== undefined) q.set('cols', String(o.cols));
  if (o.rows !== undefined) q.set('rows', String(o.rows));
  if (o.user !== undefined) q.set('user', o.user);
  if (o.workdir !== undefined) q.set('workdir', o.workdir);
  if (o.detachKeys !== undefined) q.set('detachKeys', o.detachKeys);
  if (o.resume !== undefined) q.set('resume', o.resume);
  return q;
}
