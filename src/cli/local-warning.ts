/** Said on stderr when a session is made on the local backend (once per session: at `run`). */
export function warnLocalBackend(sessionId: string): void {
  process.stderr.write(
    `berth: warning: session ${sessionId} runs on the local backend: its commands run on this host as the daemon's user, with no isolation\n`,
  );
}
