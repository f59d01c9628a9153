import type { ExecExit } from '../exec/exec-stream.js';

/**
 * Streaming responses (exec, logs) are NDJSON: one frame a line.
 * `o`/`e` carry base64 stdout/stderr bytes; the last frame is `exit` or `error`.
 */
export type Frame =
  | { o: string }
  | { e: string }
  | { exit: ExecExit }
  | { end: true }
  | { error: { code: string; message: string; details?: unknown } };

export function encodeFrame(frame: Frame): string {
  return `${JSON.stringify(frame)}\n`;
}
