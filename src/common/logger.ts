import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerSettings {
  /** pino level; default `info`, or `BERTH_LOG_LEVEL`. */
  level?: string;
  /** Where lines go; default stderr (fd 2) so stdout stays for command output. */
  destination?: number | string;
}

/** Creates the root logger. Create it once (in the daemon or `Berth.connect`) and pass children down. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.BERTH_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    // Defence in depth: nothing logs these today; if something ever does, the values stay out.
    redact: { paths: ['token', '*.token', 'env', '*.env', '*.*.env', 'secretEnv', '*.secretEnv', 'headers.authorization', '*.headers.authorization'], censor: '***' },
  };
  return pino(options, pino.destination({ dest: settings.destination ?? 2, sync: false }));
}

/** A logger that drops everything; the default for library use without a logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
