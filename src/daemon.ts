import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from './api/server.js';
import { UiGate } from './ui/ui-gate.js';
import { Berth, DAEMON_TEMPLATES } from './berth.js';
import type { Logger } from './common/logger.js';
import { VERSION } from './common/version.js';
import type { DaemonConfig } from './daemon/config.js';
import { installRejectionSafetyNet } from './daemon/safety-net.js';
import { acquireLock } from './daemon/lock.js';
import { DAEMON_UMASK, ensurePrivateDir, makePrivate } from './daemon/private-state.js';
import { readSecretFile } from './daemon/token-file.js';
import { groupId, listenOnUnixSocket, prepareSocketDir } from './daemon/unix-socket.js';
import { auditLimits } from './store/audit-limits.js';
import { HealthMonitor } from './health/health-monitor.js';
import { AlertManager } from './monitor/alert-manager.js';
import { DEFAULT_ALERT_RULES } from './monitor/alert-rules.js';
import { KernelOomLog } from './monitor/kernel-oom-log.js';
import { OomWatcher } from './monitor/oom-watcher.js';
import { DaemonMetrics } from './monitor/metrics.js';
import { Sampler, sampleNowWith } from './monitor/sampler.js';
import { EventsWatcher } from './session/events-watcher.js';
import { reconcile } from './session/reconcile.js';
import type { ContainerSpec } from './spec/container-spec.js';
import { GcScheduler } from './volume/gc-scheduler.js';

export interface RunningDaemon {
  berth: Berth;
  config: DaemonConfig;
  /** Samples resources (absent without an engine). */
  sampler: Sampler | undefined;
  /** Stops accepting, finishes in-flight requests, closes the store. Containers keep running. */
  close(): Promise<void>;
}

/**
 * Wires the daemon: umask 077 → private data dir (0700) → lock → engine + store (Berth,
 * files 0600) → reconcile → events watcher → TTL/idle sweeper → HTTP API on the unix
 * socket (0600 from the start) and TCP with a token (and TLS) when configured.
 * The umask stays 077 until `close()`, which restores the one before.
 */
export async function startDaemon(config: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  const umaskBefore = process.umask(DAEMON_UMASK);
  const cleanups: Array<() => Promise<void> | void> = [() => void process.umask(umaskBefore)];
  try {
    ensurePrivateDir(config.dataDir);
    // Refuse a bad socket directory before connecting to anything (it is checked again at listen).
    prepareSocketDir(dirname(config.socket), config.socketGroup === undefined ? undefined : groupId(config.socketGroup), log);
    cleanups.push(acquireLock(join(config.dataDir, 'daemon.lock')));
  } catch (err) {
    process.umask(umaskBefore);
    throw err;
  }
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  let countByState: () => Record<string, number> = () => ({});
  const metrics = new DaemonMetrics({ sessionsByState: () => countByState() });
  try {
    const berth = await Berth.connect({
      engine: config.engine,
      ...(config.engineSocket ? { socketPath: config.engineSocket } : {}),
      backend: config.backend,
      fallback: config.fallback,
      localRoot: config.localRoot ?? join(config.dataDir, 'local'),
      engineObserver: (op, ok, seconds) => metrics.engineCall(op, ok, seconds),
      templateAlerts: config.templateAlerts,
      database: join(config.dataDir, 'berth.db'),
      templates: { ...DAEMON_TEMPLATES, ...(config.templates as Record<string, Partial<ContainerSpec>>) },
      mountPolicy: { ...config.mounts, deny: [...(config.mounts.deny ?? []), config.dataDir, dirname(config.socket)] },
      volumePolicy: config.volumes,
      workflowDir: join(config.dataDir, 'workflows'),
      secretEnvPatterns: config.secretEnvPatterns,
      agents: { dir: join(config.dataDir, 'agents') },
      logger: log,
    });
    cleanups.push(() => berth.close());
    const db = join(config.dataDir, 'berth.db');
    makePrivate(db, `${db}-wal`, `${db}-shm`, join(config.dataDir, 'daemon.lock'));
    countByState = () => berth.repo.countByState();
    const dlog = log.child({ instance: berth.instance });
    cleanups.push(installRejectionSafetyNet(dlog));
    const alerts = new AlertManager(berth.monitor, berth.events, dlog);
    /** OOM kills reported per session: the engine's event and the cgroup counter report each kill once between them. */
    const oomReported = new Map<string, number>();
    const reportOom = (sessionId: string, kills: number) => {
      if (kills <= (oomReported.get(sessionId) ?? 0)) return;
      oomReported.set(sessionId, kills);
      berth.events.publish({ type: 'session.oom', sessionId, data: { reason: 'a process of the session was OOM-killed', kills } });
      alerts.raise(sessionId, 'oom', 'a process of the session was killed for using more memory than its limit');
    };
    berth.events.subscribe((e) => {
      if (e.type === 'session.state' && ['ended', 'lost', 'failed'].includes(String(e.data.to))) {
        alerts.forget(e.sessionId);
        oomReported.delete(e.sessionId);
      }
    });
    const doReconcile = () =>
      reconcile({
        ...(berth.hasEngine ? { containers: berth.containers, networks: berth.networks } : {}),
        local: berth.local,
        repo: berth.repo,
        sessions: berth.sessions,
        log: dlog,
        orphanGraceMs: config.orphanGraceMs,
      }).then(() => undefined);
    await doReconcile();
    await berth.sessions.recoverAgents();
    if (berth.hasEngine) await berth.volumes.reconcile().catch((err: unknown) => dlog.warn({ err }, 'volume registry reconcile failed'));
    // Marks interrupted runs failed at once; their step sessions end in the background (a stop each).
    const recovered = berth.workflows.recoverInterrupted().then(
      () => undefined,
      (err: unknown) => dlog.warn({ err }, 'could not clean up interrupted workflow runs'),
    );
    cleanups.push(() => recovered);

    const sampler = berth.hasEngine
      ? new Sampler({
          engine: berth.engineClient,
          sessions: berth.repo,
          store: berth.monitor,
          alerts,
          log: dlog,
          intervalMs: config.sampleIntervalMs,
          source: config.sampleSource,
          rawRetentionMs: config.sampleRetentionMs,
          rollupRetentionMs: config.rollupRetentionMs,
          rules: { ...DEFAULT_ALERT_RULES, ...config.alerts },
          onTick: (samples, ms) => metrics.samples(samples, ms),
        })
      : undefined;
    sampler?.start();
    cleanups.push(() => sampler?.stop());

    const kernelOom = new KernelOomLog(dlog);
    if (berth.hasEngine) kernelOom.start();
    cleanups.push(() => kernelOom.stop());
    const oomWatcher = berth.hasEngine
      ? new OomWatcher({ engine: berth.engineClient, sessions: berth.repo, log: dlog, onOom: (sessionId, _containerId, kills) => reportOom(sessionId, kills) })
      : undefined;
    oomWatcher?.start();
    cleanups.push(() => oomWatcher?.stop());
    const watcher = berth.hasEngine
      ? new EventsWatcher({
          engine: berth.engineClient,
          sessions: berth.sessions,
          instance: berth.instance,
          log: dlog,
          onReconnect: () => doReconcile().catch((err: unknown) => dlog.warn({ err }, 'reconcile after reconnect failed')),
          oomEvidence: async (containerId) => (kernelOom.wasOomKilled(containerId) ? 1 : sampler?.oomKills(containerId)),
          onOom: (sessionId, _containerId, kills) => reportOom(sessionId, Math.max(kills ?? 1, 1)),
        })
      : undefined;
    watcher?.start();
    cleanups.push(() => watcher?.close());

    const health = berth.hasEngine
      ? new HealthMonitor({
          engine: berth.engineClient,
          sessions: berth.sessions,
          repo: berth.repo,
          health: berth.health,
          alerts,
          events: berth.events,
          log: dlog,
          engineRunsChecks: berth.engine?.kind === 'docker',
        })
      : undefined;
    health?.start();
    cleanups.push(() => health?.stop());

    const sweeper = setInterval(() => {
      berth.sessions.sweep().catch((err: unknown) => dlog.warn({ err }, 'sweep failed'));
    }, config.sweepIntervalMs);
    sweeper.unref();
    cleanups.push(() => clearInterval(sweeper));

    const limits = auditLimits(config.audit);
    const pruneAudit = () => {
      try {
        const n = berth.audit.prune({ maxRows: limits.maxRows, maxAgeMs: limits.maxAgeMs, now: Date.now() });
        if (n) dlog.info({ removed: n }, 'audit log retention');
      } catch (err) {
        dlog.warn({ err }, 'audit log retention failed');
      }
    };
    pruneAudit();
    const auditPruner = setInterval(pruneAudit, limits.pruneIntervalMs);
    auditPruner.unref();
    cleanups.push(() => clearInterval(auditPruner));

    const volumeGc = berth.hasEngine ? new GcScheduler({ gc: () => berth.volumes.gc(), intervalMs: config.volumeGcIntervalMs, log: dlog }) : undefined;
    volumeGc?.start();
    cleanups.push(() => volumeGc?.stop());

    const startedAt = new Date().toISOString();
    const info = async () => ({
      version: VERSION,
      pid: process.pid,
      startedAt,
      instance: berth.instance,
      engine: berth.engine ?? null,
      backend: config.backend,
      fallback: config.fallback,
      localRoot: berth.local.root,
      dataDir: config.dataDir,
      socket: config.socket,
      ...(config.tcp ? { tcp: config.tcp } : {}),
      sessions: berth.repo.countByState(),
      config: { ...config, ...(config.token ? { token: '(set)' } : {}) },
      eventStreamConnections: watcher?.connections ?? 0,
      fileOps: await berth.files.metrics(),
      monitor: { sampleIntervalMs: config.sampleIntervalMs, lastTickMs: sampler ? Math.round(sampler.lastTickMs * 10) / 10 : null, eventListeners: berth.events.listeners },
    });

    const servers: FastifyInstance[] = [];
    const api = { berth, log: dlog, version: VERSION, terminalPingMs: config.terminalPingMs, metrics, ...(health ? { health } : {}), ...(sampler ? { sampleNow: sampleNowWith(sampler) } : {}), info };
    cleanups.push(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
    const unix = createApiServer({ ...api, listener: 'unix' });
    servers.push(unix);
    await listenOnUnixSocket(unix, config.socket, { ...(config.socketGroup ? { group: config.socketGroup } : {}), log: dlog });
    cleanups.push(() => rmSync(config.socket, { force: true }));
    if (config.tcp && config.token) {
      const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readSecretFile(config.tlsKey, 'TLS key') } : undefined;
      const m = /^\[?(.*?)\]?:(\d+)$/.exec(config.tcp);
      const uiGate = new UiGate({ token: config.token, cookieName: `berth_ui_${m?.[2] ?? ''}`, secure: tls !== undefined, hosts: [...(m?.[1] ? [m[1]] : []), ...(config.uiHosts ?? [])] });
      const tcp = createApiServer({ ...api, listener: 'tcp', token: config.token, trust: config.tcpTrust, unauthenticatedPerMinute: limits.unauthenticatedPerMinute, uiGate, ...(tls ? { tls } : {}) });
      servers.push(tcp);
      await tcp.listen({ host: m?.[1] ?? '127.0.0.1', port: Number(m?.[2]) });
    }
    dlog.info({ socket: config.socket, tcp: config.tcp, tls: config.tcp ? Boolean(config.tlsCert) : undefined, engine: berth.engine?.kind ?? 'none (local backend)', dataDir: config.dataDir }, 'berth daemon listening');
    let closing: Promise<void> | undefined;
    return { berth, config, sampler, close: () => (closing ??= cleanup()) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
