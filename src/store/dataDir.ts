/**
 * A softkey data directory: `master.key` and `softkey.db` (+ -wal, -shm), every file 0600 in a 0700
 * directory (permissions.ts), owned by one process at a time (dataDirLock.ts).
 * The caller resolves the default location (~/.softkey); this module only opens what it is given.
 * `openDataDir(':memory:')` gives a throwaway device: a random master key and an in-memory database.
 *
 * Opening checks before anything is written: the lock; a database without its master key, or a
 * master key without its database (missing or 0 bytes: lost data, never silently a new empty key);
 * then, in openDatabase, the database's integrity (PRAGMA quick_check) and that the master key is
 * the database's. Each refusal is a typed error (storeErrors.ts) whose message names the path.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from '../crypto/aead.js';
import { openDatabase } from './database.js';
import { lockDataDir, type DataDirLock } from './dataDirLock.js';
import { loadOrCreateMasterKey, MASTER_KEY_FILE, MasterKeyError } from './masterKey.js';
import { ensurePrivateDir, ensurePrivateFile } from './permissions.js';
import { MASTER_KEY_LENGTH } from './sealing.js';
import { SqliteStore } from './sqliteStore.js';
import { SqliteVault } from './sqliteVault.js';
import { DataDirStateError, StoreFullError, storeError } from './storeErrors.js';

export const DATABASE_FILE = 'softkey.db';
/** The database and the files SQLite keeps beside it. */
export const DATABASE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`] as const;

export interface DataDir {
  /** The directory, or ':memory:'. */
  dir: string;
  store: SqliteStore;
  vault: SqliteVault;
  /** Closes the database (store and vault share it) and releases the directory. Idempotent. */
  close(): void;
}

export interface OpenDataDirOptions {
  /** Told about what was repaired on the way (a directory open to others made 0700); default console.warn. */
  warn?: (message: string) => void;
}

/** Size of `file` in bytes, undefined when it does not exist. */
function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

export function openDataDir(dir: string, options: OpenDataDirOptions = {}): DataDir {
  if (dir === ':memory:') {
    const masterKey = randomBytes(MASTER_KEY_LENGTH);
    const db = openDatabase(':memory:', masterKey);
    const store = new SqliteStore(db, masterKey);
    return { dir, store, vault: new SqliteVault(db, masterKey), close: () => store.close() };
  }
  try {
    ensurePrivateDir(dir, options.warn ?? ((m) => console.warn(`softkey: ${m}`)));
    return openLocked(dir, lockDataDir(dir));
  } catch (e) {
    const err = storeError(e, dir);
    if (err instanceof StoreFullError) {
      throw new StoreFullError(
        `no space left on the file system holding the data directory ${dir}: ${err.message}`,
        dir,
        { cause: e },
      );
    }
    throw err;
  }
}

function openLocked(dir: string, lock: DataDirLock): DataDir {
  try {
    const file = join(dir, DATABASE_FILE);
    const keyFile = join(dir, MASTER_KEY_FILE);
    const dbSize = sizeOf(file);
    const hasKey = sizeOf(keyFile) !== undefined;
    if (dbSize && !hasKey) {
      throw new MasterKeyError(
        `${file} exists but ${keyFile} is missing: the credentials in it cannot be decrypted. ` +
          `Restore master.key, or move the data directory aside to start a new, empty key.`,
      );
    }
    if (hasKey && !dbSize) {
      throw new DataDirStateError(
        `${keyFile} exists but ${file} is ${dbSize === undefined ? 'missing' : 'empty (0 bytes)'}: ` +
          `the credentials it held are lost or elsewhere. ` +
          `Restore the database from a backup (softkey restore FILE --data-dir ${dir}); to start a new, empty key instead, ` +
          `move ${keyFile} aside.`,
        file,
      );
    }
    const masterKey = loadOrCreateMasterKey(dir);
    DATABASE_FILES.forEach((f, i) => ensurePrivateFile(join(dir, f), i === 0));
    const db = openDatabase(file, masterKey);
    const store = new SqliteStore(db, masterKey);
    const vault = new SqliteVault(db, masterKey);
    return {
      dir,
      store,
      vault,
      close: () => {
        try {
          store.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}
