/**
 * The bytes of a detach-keys setting in Docker's format: `ctrl-<c>` is the control
 * character (ctrl-p → 0x10), a letter or digit is itself; comma-separated.
 */
export function detachSequence(keys: string): Buffer {
  if (!keys) return Buffer.alloc(0);
  return Buffer.from(
    keys.split(',').map((k) => {
      if (k.startsWith('ctrl-')) {
        const c = k.slice(5);
        return c === '@' ? 0 : c.toUpperCase().charCodeAt(0) & 0x1f;
      }
      return k.charCodeAt(0);
    }),
  );
}

/** How many bytes at the end of `data` could be the start of `seq` (to hold back until the next input). */
export function heldBack(data: Buffer, seq: Buffer): number {
  for (let k = Math.min(seq.length - 1, data.length); k > 0; k--) {
    if (data.subarray(data.length - k).equals(seq.subarray(0, k))) return k;
  }
  return 0;
}
