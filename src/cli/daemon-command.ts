import { createLogger } from '../common/logger.js';
import { loadConfig, type DaemonFlags } from '../daemon/config.js';
import { startDaemon } from '../daemon.js';

/**
 * `berth daemon`: runs until SIGTERM/SIGINT, then shuts down gracefully (containers keep
 * running) and resolves; a failed shutdown rejects.
 */
export async function runDaemon(flags: DaemonFlags): Promise<void> {
  const config = loadConfig(flags);
  // The token stays in the config only: processes the daemon starts (engine CLIs, local sessions) do not inherit it.
  delete process.env.BERTH_TOKEN;
  const log = createLogger({ level: config.logLevel });
  const daemon = await startDaemon(config, log);
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      daemon.close().then(() => {
        log.info('stopped');
        log.flush();
        resolve();
      }, reject);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
