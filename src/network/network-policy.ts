import { z } from 'zod';
import type { ContainerSpec } from '../spec/container-spec.js';

/**
 * How a session reaches the network:
 * - `none` (default): only `lo`; no traffic in or out.
 * - `isolated`: an internal network of the session's own (`berth-net-<session id>`), no
 *   route out; its containers (this session's, and sessions that `join` it) reach each other.
 * - `bridge`: the engine's default bridge network; egress allowed (NAT).
 */
export type NetworkPolicyName = 'none' | 'isolated' | 'bridge';

export const NETWORK_POLICIES: readonly NetworkPolicyName[] = ['none', 'isolated', 'bridge'];

/** A session's network policy, as data. */
export interface NetworkPolicy {
  policy: NetworkPolicyName;
  /** Extra DNS servers (IP addresses) for the container's resolv.conf; not with `none`. */
  dns?: string[];
  /**
   * Names the container answers to on its isolated network; default the session's name.
   * Only with `isolated` (Docker resolves them; Podman's CNI backend does not, see README).
   */
  aliases?: string[];
  /**
   * With `isolated`: join the isolated network of this other live session (id or name)
   * instead of making one; the network lasts while any session on it is live.
   */
  join?: string;
}

const alias = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'may use letters, digits, _ . - (up to 63), starting with a letter or digit');

const policyObject = z
  .strictObject({
    policy: z.enum(['none', 'isolated', 'bridge']),
    dns: z.array(z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' })).max(3, 'at most 3 servers').optional(),
    aliases: z.array(alias).max(16).optional(),
    join: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.policy === 'none' && p.dns?.length) ctx.addIssue({ code: 'custom', path: ['dns'], message: "has no use with policy 'none' (no network); choose 'isolated' or 'bridge'" });
    if (p.policy !== 'isolated' && p.aliases?.length) ctx.addIssue({ code: 'custom', path: ['aliases'], message: "need policy 'isolated' (the default bridge has no aliases)" });
    if (p.policy !== 'isolated' && p.join !== undefined) ctx.addIssue({ code: 'custom', path: ['join'], message: "needs policy 'isolated'" });
  });

/** `'none' | 'isolated' | 'bridge'` or the full object; see `NetworkPolicy`. A name is read as `{ policy: name }`, so problems keep their field paths. */
export const networkPolicySchema = z
  .preprocess((v) => (typeof v === 'string' ? { policy: v } : v), policyObject)
  .describe("'none' | 'isolated' | 'bridge', or { policy, dns?: IP[], aliases?: string[], join?: session }");

export type NetworkPolicyInput = NetworkPolicyName | NetworkPolicy;

/** The object form of a (valid) policy. */
export function normalisePolicy(input: NetworkPolicyInput | undefined): NetworkPolicy {
  if (input === undefined) return { policy: 'none' };
  return typeof input === 'string' ? { policy: input } : input;
}

/** The name of a session's own isolated network. */
export function sessionNetworkName(sessionId: string): string {
  return `berth-net-${sessionId}`;
}

/**
 * The spec with the policy applied: `network` set to `none`, `bridge` or `isolatedNetwork`
 * (the session's own or the joined one), its aliases (default `defaultAlias`) and DNS servers.
 */
export function specWithPolicy(spec: ContainerSpec, p: NetworkPolicy, isolatedNetwork: string, defaultAlias: string): ContainerSpec {
  const out: ContainerSpec = { ...spec, network: p.policy === 'isolated' ? isolatedNetwork : p.policy };
  delete out.networkAliases;
  delete out.dns;
  if (p.policy === 'isolated') out.networkAliases = p.aliases?.length ? p.aliases : [defaultAlias];
  if (p.dns?.length) out.dns = p.dns;
  return out;
}
