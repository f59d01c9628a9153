import type { ContainerSpec } from './container-spec.js';

/**
 * Capabilities added back after dropping ALL: enough for a shell, package managers
 * and file ownership changes inside the sandbox. Left out on purpose: NET_RAW (spoofing),
 * MKNOD, SYS_CHROOT, SETPCAP, SETFCAP, AUDIT_WRITE.
 */
export const DEFAULT_CAP_ADD: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
];

/** The hardened defaults, in one place. Each can be loosened explicitly through the builder. */
export const SECURE_DEFAULTS = {
  memory: '512m',
  cpus: 1,
  pidsLimit: 512,
  network: 'none',
  capDrop: ['ALL'],
  capAdd: DEFAULT_CAP_ADD,
  securityOpt: ['no-new-privileges'],
  privileged: false,
  init: true,
  readOnlyRootfs: false,
  restartPolicy: { name: 'no' },
  log: { maxSize: '10m', maxFiles: 3 },
} as const;

/** Fills every unset hardened field; swap defaults to the memory limit (no swap). */
export function withDefaults(spec: ContainerSpec): ContainerSpec {
  const memory = spec.memory ?? SECURE_DEFAULTS.memory;
  return {
    ...spec,
    memory,
    memorySwap: spec.memorySwap ?? memory,
    cpus: spec.cpus ?? SECURE_DEFAULTS.cpus,
    pidsLimit: spec.pidsLimit ?? SECURE_DEFAULTS.pidsLimit,
    network: spec.network ?? SECURE_DEFAULTS.network,
    capDrop: spec.capDrop ?? [...SECURE_DEFAULTS.capDrop],
    capAdd: spec.capAdd ?? [...SECURE_DEFAULTS.capAdd],
    securityOpt: spec.securityOpt ?? [...SECURE_DEFAULTS.securityOpt],
    privileged: spec.privileged ?? SECURE_DEFAULTS.privileged,
    init: spec.init ?? SECURE_DEFAULTS.init,
    readOnlyRootfs: spec.readOnlyRootfs ?? SECURE_DEFAULTS.readOnlyRootfs,
    restartPolicy: spec.restartPolicy ?? { ...SECURE_DEFAULTS.restartPolicy },
    log: spec.log ?? { ...SECURE_DEFAULTS.log },
  };
}
