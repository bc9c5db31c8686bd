/**
 * The master key: 32 random bytes in `<dataDir>/master.key` (mode 0600, directory 0700), created on
 * first start. Everything secret in softkey.db is sealed under keys derived from it (sealing.ts), so
 * the database alone reveals no secrets; the key file alone is useless without the database.
 *
 * Like ssh with a private key, softkey refuses to start when the file is readable by group or others,
 * or has the wrong size, and says how to fix it.
 */
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from '../crypto/aead.js';
import { toHex, toUint8 } from '../encoding/bytes.js';
import { MASTER_KEY_LENGTH } from './sealing.js';

export const MASTER_KEY_FILE = 'master.key';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Creates `dir` (mode 0700, with parents) if it does not exist. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Reads `<dir>/master.key`, creating it (and the directory) on first start. */
export function loadOrCreateMasterKey(dir: string): Uint8Array {
  ensureDataDir(dir);
  const path = join(dir, MASTER_KEY_FILE);
  const created = createIfMissing(path);
  if (created) return created;
  return readMasterKey(path);
}

/** Reads and checks an existing master key file. */
export function readMasterKey(path: string): Uint8Array {
  const st = statSync(path);
  if (!st.isFile())
    throw new MasterKeyError(`${path} is not a regular file; move it aside so softkey can create a master key.`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new MasterKeyError(
      `${path} is readable or writable by group or others (mode ${mode}); it protects every secret of this key. ` +
        `Fix it with: chmod 600 '${path}'`,
    );
  }
  const key = toUint8(readFileSync(path));
  if (key.length !== MASTER_KEY_LENGTH) {
    throw new MasterKeyError(
      `${path} is ${key.length} bytes, expected ${MASTER_KEY_LENGTH}: it is damaged or not a softkey master key. ` +
        `Restore it from a backup; without it the credentials in this data directory cannot be decrypted.`,
    );
  }
  return key;
}

/**
 * Writes a fresh key to a private temporary file, fsyncs it, then hard-links it into place: the key
 * appears complete or not at all, and a concurrent first start never overwrites it (link fails).
 */
function createIfMissing(path: string): Uint8Array | undefined {
  if (existsSync(path)) return undefined;
  const tmp = `${path}.${process.pid}.${toHex(randomBytes(4))}.tmp`;
  const key = randomBytes(MASTER_KEY_LENGTH);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return key;
}
