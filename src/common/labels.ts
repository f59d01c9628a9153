/** Labels berth puts on every object it creates. */
export const LABELS = {
  /** `"true"` on everything berth manages. */
  managed: 'berth.managed',
  /** The berth instance (daemon or in-process client) that owns the object. */
  instance: 'berth.instance',
  /** The session a container (or a workspace/logs volume) belongs to. */
  session: 'berth.session',
  /** Comma-separated targets of the mounts berth itself adds (the session agent's), set only by berth. */
  systemMounts: 'berth.system-mounts',
  /** On a volume: `workspace`, `cache` or `logs`. */
  volumeKind: 'berth.volume.kind',
  /** On a fork snapshot image: the session it was taken from. */
  snapshotOf: 'berth.snapshot-of',
  /** On an image berth built: its variant (`ubuntu`, `alpine`) or `custom`. `berth image ls/prune` see only these. */
  image: 'berth.image',
  /** On a session's container: `"true"` ends the session when its main process exits (`berth run --rm`). */
  removeOnExit: 'berth.remove-on-exit',
  /** On a variant image: the BASE_IMAGE it was built on. */
  imageBase: 'berth.image.base',
  /** On a variant image: the content hash of its Dockerfile and build inputs (rebuilt when it changes). */
  imageHash: 'berth.image.hash',
} as const;

/** The default instance id when none is configured. */
export const DEFAULT_INSTANCE = 'default';

export function ownershipLabels(instance: string): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.instance]: instance };
}
