import { Duplex } from 'node:stream';

/** Docker's default: ctrl-p then ctrl-q leaves the process running. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** `/bin/bash` when the image has it, else `/bin/sh` (a fixed script, no user input in it). */
export const DEFAULT_SHELL_CMD = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; fi; exec /bin/sh'];

export interface ShellOptions {
  /** argv; default `/bin/bash` when present, else `/bin/sh`. */
  cmd?: string[];
  /** Terminal size in character cells; default 80 × 24. */
  cols?: number;
  rows?: number;
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  /** Docker's format (`ctrl-p,ctrl-q`, default); an empty string turns detaching off. */
  detachKeys?: string;
  /**
   * Reattach to a shell the session agent keeps (handle `p123`, see `berth proc ls`):
   * its scrollback (last 1 MiB) is replayed, then it goes live. `cmd`, env, user and
   * workdir do not apply.
   */
  resume?: string;
}

export interface AttachOptions {
  cols?: number;
  rows?: number;
  detachKeys?: string;
}

export interface ShellExit {
  /** The process's exit code; null when the client detached and the process runs on. */
  exitCode: number | null;
  detached: boolean;
}

/** What a shell runs over: an engine's hijacked connection, a local pty, or the daemon's WebSocket. */
export interface ShellTransport {
  write(data: Buffer): void;
  /** Hangs up: the connection closes (a detached process runs on). */
  end(): void;
  resize(cols: number, rows: number): Promise<void>;
  /** Called with each piece of terminal output. */
  onData(listener: (data: Buffer) => void): void;
  /** Resolves once, when the output has ended. */
  exit: Promise<ShellExit>;
  /** Stop and restart the output while the reader is behind (backpressure). */
  pause?(): void;
  resume?(): void;
}

/**
 * An interactive terminal: write keystrokes, read what the terminal shows (one stream:
 * a TTY merges stdout and stderr). `resize` sets the size; `exit` resolves with the exit
 * code, or `detached: true`. Ending the writable side hangs up.
 */
export class ShellStream extends Duplex {
  /** Resolves when the process ends or is detached; output may still be buffered then: read to `end`. */
  readonly exit: Promise<ShellExit>;

  constructor(private readonly transport: ShellTransport) {
    super({ allowHalfOpen: true });
    transport.onData((d) => {
      if (!this.push(d)) transport.pause?.();
    });
    this.exit = transport.exit.then(
      (e) => {
        this.push(null);
        return e;
      },
      (err: unknown) => {
        this.push(null);
        throw err;
      },
    );
    // Awaiting `exit` later still sees the error; it is not an unhandled rejection meanwhile.
    this.exit.catch(() => undefined);
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.transport.resize(cols, rows);
  }

  override _read(): void {
    this.transport.resume?.();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.transport.write(chunk);
    callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.transport.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.transport.end();
    callback(err);
  }
}
