/**
 * A softkey data directory: `master.key` (0600) and `softkey.db` (+ -wal, -shm) in a 0700 directory.
 * The caller resolves the default location (~/.softkey); this module only opens what it is given.
 * `openDataDir(':memory:')` gives a throwaway device: a random master key and an in-memory database.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from '../crypto/aead.js';
import { openDatabase } from './database.js';
import { loadOrCreateMasterKey, MASTER_KEY_FILE, MasterKeyError, ensureDataDir } from './masterKey.js';
import { MASTER_KEY_LENGTH } from './sealing.js';
import { SqliteStore } from './sqliteStore.js';
import { SqliteVault } from './sqliteVault.js';

export const DATABASE_FILE = 'softkey.db';

export interface DataDir {
  /** The directory, or ':memory:'. */
  dir: string;
  store: SqliteStore;
  vault: SqliteVault;
  /** Closes the database (store and vault share it). Idempotent. */
  close(): void;
}

export function openDataDir(dir: string): DataDir {
  let masterKey: Uint8Array;
  let file: string;
  if (dir === ':memory:') {
    masterKey = randomBytes(MASTER_KEY_LENGTH);
    file = ':memory:';
  } else {
    ensureDataDir(dir);
    file = join(dir, DATABASE_FILE);
    if (existsSync(file) && !existsSync(join(dir, MASTER_KEY_FILE))) {
      throw new MasterKeyError(
        `${file} exists but ${join(dir, MASTER_KEY_FILE)} is missing: the credentials in it cannot be decrypted. ` +
          `Restore master.key, or move the data directory aside to start a new, empty key.`,
      );
    }
    masterKey = loadOrCreateMasterKey(dir);
  }
  const db = openDatabase(file, masterKey);
  const store = new SqliteStore(db, masterKey);
  const vault = new SqliteVault(db, masterKey);
  return { dir, store, vault, close: () => store.close() };
}
