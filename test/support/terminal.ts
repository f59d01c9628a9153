import * as pty from 'node-pty';

const BIN = new URL('../../bin/berth.cjs', import.meta.url).pathname;

/** A program running in a real pseudo-terminal, driven as a person would. */
export interface Terminal {
  /** Everything shown so far. */
  output(): string;
  type(keys: string): void;
  /** Waits until the output (after `from`) matches; throws with the output on timeout. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<RegExpMatchArray>;
  resize(cols: number, rows: number): void;
  exit: Promise<number>;
  kill(): void;
}

export function terminal(file: string, args: string[], o: { cols?: number; rows?: number } = {}): Terminal {
  const p = pty.spawn(file, args, { name: 'xterm', cols: o.cols ?? 100, rows: o.rows ?? 30, env: { ...process.env, TERM: 'xterm' } as Record<string, string> });
  let out = '';
  p.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    output: () => out,
    type: (keys) => p.write(keys),
    async waitFor(pattern, { timeoutMs = 15_000, from = 0 } = {}) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = out.slice(from).match(pattern);
        if (m) return m;
        if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the terminal shows:\n${JSON.stringify(out.slice(-2000))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    resize: (cols, rows) => p.resize(cols, rows),
    exit,
    kill: () => p.kill('SIGKILL'),
  };
}

/** `berth --socket SOCKET ...args` in a terminal. */
export function berthTerminal(socket: string, args: string[], o: { cols?: number; rows?: number } = {}): Terminal {
  return terminal(process.execPath, [BIN, '--socket', socket, ...args], o);
}

/** A shell script in a terminal (to check what the terminal looks like after berth exits). */
export function shTerminal(script: string): Terminal {
  return terminal('/bin/sh', ['-c', script]);
}

export { BIN };
