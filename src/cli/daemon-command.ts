import { createLogger } from '../common/logger.js';
import { loadConfig, type DaemonFlags } from '../daemon/config.js';
import { startDaemon } from '../daemon.js';

/** `berth daemon`: runs until SIGTERM/SIGINT, then shuts down gracefully (containers keep running). */
export async function runDaemon(flags: DaemonFlags): Promise<void> {
  const config = loadConfig(flags);
  const log = createLogger({ level: config.logLevel });
  const daemon = await startDaemon(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    daemon
      .close()
      .then(() => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
