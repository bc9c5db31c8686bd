/**
 * File modes of a data directory: the directory 0700, every file in it 0600 (master.key, softkey.db
 * and its -wal/-shm, the lock and owner files). SQLite gives -wal and -shm the mode of the database
 * file (https://www.sqlite.org/tempfiles.html), so creating softkey.db 0600 before SQLite opens it
 * keeps them private too. On Windows modes mean little; nothing is checked there.
 */
import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeCause, StoreError, StoreFullError, StoreIoError } from './storeErrors.js';

const posix = process.platform !== 'win32';

/**
 * Creates `dir` (0700, with parents), or tightens an existing one to 0700, calling `warn` when it was
 * open to group or others. A missing, read-only or unwritable parent is a StoreIoError naming the
 * path and the cause.
 */
export function ensurePrivateDir(dir: string, warn: (message: string) => void): void {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(dir, e);
  }
  if (!st) {
    try {
      mkdirs(dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const at = err.path !== undefined && err.path !== dir ? ` (creating ${err.path})` : '';
      const message = `cannot create the data directory ${dir}${at}: ${describeCause(e)} (${err.code})`;
      if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new StoreFullError(message, dir, { cause: e });
      throw new StoreIoError(message, dir, { cause: e });
    }
    return;
  }
  if (!st.isDirectory()) throw new StoreIoError(`the data directory ${dir} is not a directory`, dir);
  if (posix && (st.mode & 0o077) !== 0) {
    const was = (st.mode & 0o777).toString(8).padStart(4, '0');
    try {
      chmodSync(dir, 0o700);
    } catch (e) {
      const why = describeCause(e);
      throw new StoreIoError(
        `the data directory ${dir} has mode ${was} and cannot be made private (chmod 700): ${why}`,
        dir,
        { cause: e },
      );
    }
    warn(`the data directory ${dir} had mode ${was} (open to group or others); it is now 0700`);
  }
}

/**
 * mkdir -p, one directory at a time (mode 0700): Node's recursive mkdirSync reports ENOENT where a
 * parent is on a read-only file system or not writable, hiding the cause; this reports the real
 * error (EROFS, EACCES, ENOTDIR) with the path it happened at.
 */
function mkdirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw e;
      missing.unshift(d);
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // made meanwhile by another process
    }
  }
}

/** Creates `file` empty with mode 0600 when absent; tightens an existing file to 0600. */
export function ensurePrivateFile(file: string, create: boolean): void {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(file, e);
  }
  if (!st) {
    if (!create) return;
    try {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT, 0o600));
    } catch (e) {
      throw ioError(file, e);
    }
    st = statSync(file);
  }
  if (posix && (st.mode & 0o077) !== 0) {
    try {
      chmodSync(file, 0o600);
    } catch (e) {
      throw ioError(file, e);
    }
  }
}

function ioError(path: string, e: unknown): StoreError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new StoreFullError(`${path}: ${describeCause(e)} (${code})`, path, { cause: e });
  return new StoreIoError(`${path}: ${describeCause(e)} (${(e as NodeJS.ErrnoException).code})`, path, { cause: e });
}
