/**
 * Output into a pipe that closed early (`berth exec … | head -1`) ends the CLI quietly
 * with status 0, as a reader that has all it wants expects; any other write error is
 * rethrown. Call once, first thing.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      throw err;
    });
  }
}
