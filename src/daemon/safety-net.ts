import type { Logger } from '../common/logger.js';

/**
 * The daemon's last resort for a promise rejected with no handler: logged with its stack
 * at error level, and the daemon keeps serving (Node's default would exit, taking every
 * session's API down for one forgotten `catch`). Returns the function that removes it.
 */
export function installRejectionSafetyNet(log: Logger): () => void {
  const onRejection = (reason: unknown) => {
    log.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection; the daemon keeps running (a bug: report it with this stack)');
  };
  process.on('unhandledRejection', onRejection);
  return () => void process.off('unhandledRejection', onRejection);
}
