import type { BerthClient } from '../client/client.js';

/** The global options every client command sees. */
export interface GlobalOptions {
  socket?: string;
}

/** Loads the client lazily, so `berth --version` and `berth help` import nothing heavy. */
export async function clientFor(opts: GlobalOptions): Promise<BerthClient> {
  const { BerthClient } = await import('../client/client.js');
  return BerthClient.connect(opts.socket ? { socketPath: opts.socket } : {});
}
