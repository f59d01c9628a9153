import { stat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { dockerodeFor, signalled } from './connect.js';
import { engineMessage } from './errors.js';
import { kindFromVersion } from './quirks.js';
import type { EngineCandidate, EngineInfo } from './types.js';

export type ProbeResult =
  | { ok: true; info: EngineInfo; docker: Docker }
  | { ok: false; candidate: EngineCandidate; reason: string };

interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  Os?: string;
  Arch?: string;
  Components?: Array<{ Name?: string; Version?: string }>;
}

/** Pings one candidate (default timeout 2000 ms) and reads its version and cgroup version (at least 15 s for those). */
export async function probeCandidate(candidate: EngineCandidate, timeoutMs = 2000): Promise<ProbeResult> {
  const { endpoint } = candidate;
  if (endpoint.startsWith('/')) {
    try {
      const s = await stat(endpoint);
      if (!s.isSocket()) return { ok: false, candidate, reason: 'not a socket' };
    } catch {
      return { ok: false, candidate, reason: 'no such socket' };
    }
  }
  const docker = dockerodeFor(endpoint);
  try {
    const calls = signalled(docker);
    await calls.ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
    // It answered. Podman 4's /version and /info each sample CPU use for about a second
    // (2-4 s on a loaded machine), so they get more time than the ping.
    const signal = AbortSignal.timeout(Math.max(timeoutMs, 15_000));
    const version = (await calls.version({ abortSignal: signal })) as VersionBody;
    const info = (await calls.info({ abortSignal: signal })) as { CgroupVersion?: string };
    const kind = kindFromVersion(version);
    const component = (version.Components ?? []).find((c) => /podman/i.test(c.Name ?? ''));
    return {
      ok: true,
      docker,
      info: {
        kind,
        version: (kind === 'podman' ? component?.Version : undefined) ?? version.Version ?? 'unknown',
        apiVersion: version.ApiVersion ?? 'unknown',
        socketPath: endpoint,
        os: version.Os ?? 'unknown',
        arch: version.Arch ?? 'unknown',
        cgroupVersion: info.CgroupVersion ?? 'unknown',
        source: candidate.source,
      },
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, candidate, reason: code ?? engineMessage(err) };
  }
}
