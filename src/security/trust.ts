/**
 * Who asked. `operator`: the holder of the unix socket or the TCP token (root-equivalent).
 * `untrusted`: MCP tool calls, workflow files, and requests the configuration or the
 * client marks so; their bind mounts are default-deny (see `MountPolicy.untrustedRoots`).
 */
export type Trust = 'operator' | 'untrusted';

/** Container label carrying the trust of the request that made it; the checks before each start read it. */
export const TRUST_LABEL = 'berth.trust';

/** HTTP header by which a client marks its own requests untrusted (it can only lower its trust). */
export const TRUST_HEADER = 'x-berth-trust';

/** The lower of two trusts. */
export const lowerTrust = (a: Trust | undefined, b: Trust | undefined): Trust => (a === 'untrusted' || b === 'untrusted' ? 'untrusted' : 'operator');
