import { stat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { dockerodeFor, signalled } from './connect.js';
import { engineMessage } from './errors.js';
import { kindFromVersion } from './quirks.js';
import type { EngineCandidate, EngineHostInfo, EngineInfo } from './types.js';

export type ProbeResult =
  | { ok: true; info: EngineInfo; host: EngineHostInfo; docker: Docker }
  | { ok: false; candidate: EngineCandidate; reason: string };

interface InfoBody {
  CgroupVersion?: string;
  Runtimes?: Record<string, { path?: string }>;
  DefaultRuntime?: string;
  DockerRootDir?: string;
  SecurityOptions?: string[];
}

interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  Os?: string;
  Arch?: string;
  Components?: Array<{ Name?: string; Version?: string }>;
}

/**
 * Pings one candidate (default timeout 2000 ms), then reads its version and info (up to
 * `answerTimeoutMs`, default 15000: Podman builds both from `podman info`, which asks dpkg
 * for package versions and takes seconds on a busy machine).
 */
export async function probeCandidate(candidate: EngineCandidate, timeoutMs = 2000, answerTimeoutMs = 15_000): Promise<ProbeResult> {
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
    const signal = AbortSignal.timeout(Math.max(timeoutMs, answerTimeoutMs));
    const [version, info] = (await Promise.all([calls.version({ abortSignal: signal }), calls.info({ abortSignal: signal })])) as [VersionBody, InfoBody];
    const kind = kindFromVersion(version);
    const component = (version.Components ?? []).find((c) => /podman/i.test(c.Name ?? ''));
    return {
      ok: true,
      docker,
      host: {
        runtimes: Object.fromEntries(Object.entries(info.Runtimes ?? {}).map(([name, r]) => [name, r.path ?? ''])),
        defaultRuntime: info.DefaultRuntime ?? 'runc',
        ...(info.DockerRootDir ? { rootDir: info.DockerRootDir } : {}),
        usernsRemap: kind === 'docker' && (info.SecurityOptions ?? []).some((o) => /^name=userns(,|$)/.test(o)),
      },
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
