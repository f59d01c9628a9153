import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BerthError } from '../common/errors.js';

const PREFIX = 'sealed:v1:';

/**
 * Seals values (secret environment) before they reach the database: AES-256-GCM with a
 * key kept outside it, in `secret.key` (mode 0600) beside the database file, or in memory
 * for an in-memory database. The database alone (a copy, a backup, a dump, a grep) shows
 * no secret; whoever reads the key file too can open them (root on the host can anyway).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The box for a database path: its key file is made on first use (`:memory:`: a key in memory). */
  static forDatabase(path: string): SecretBox {
    if (path === ':memory:') return new SecretBox(randomBytes(32));
    return new SecretBox(loadKey(join(dirname(path), 'secret.key')));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  /** The sealed value, or undefined for an empty one; `Internal` when it cannot be opened (another key). */
  open<T>(sealed: string): T | undefined {
    if (!sealed) return undefined;
    if (!sealed.startsWith(PREFIX)) throw new BerthError('Internal', 'a sealed value has an unknown format');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as T;
    } catch (err) {
      throw new BerthError('Internal', 'a sealed secret cannot be opened with this data dir\'s secret.key (was the key replaced?)', { cause: err });
    }
  }
}

function loadKey(path: string): Buffer {
  if (!existsSync(path)) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, randomBytes(32));
      closeSync(fd);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
  }
  if (statSync(path).mode & 0o077) chmodSync(path, 0o600);
  const key = readFileSync(path);
  if (key.length !== 32) throw new BerthError('Internal', `the secret key ${path} is not 32 bytes; move it aside (sealed secrets in the database are then lost)`);
  return key;
}
