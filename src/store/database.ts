/**
 * Opens softkey.db: connection settings, migrations, and a check that the master key is the one the
 * database was written under (so a swapped master.key fails at start, not at the first assertion).
 */
import Database from 'better-sqlite3';
import { equal, utf8 } from '../encoding/bytes.js';
import { migrate } from './migrations.js';
import { aad, deriveStoreKeys, seal, StoreDecryptError, unseal } from './sealing.js';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string, masterKey: Uint8Array): SqliteDatabase {
  const db = new Database(file);
  try {
    // WAL with synchronous=NORMAL: a commit is durable against a crash of the process (the WAL is in
    // the OS page cache before the statement returns), which is what a software key needs: a counter
    // or a new credential is never lost when softkey is killed after answering. Only a power loss or
    // kernel crash can lose the last commits (never corrupt the file). A counter update stays at about
    // 10 µs (measured: one WAL append, no fsync); synchronous=FULL would fsync on every assertion.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Deleted rows (reset, deleted credentials) are overwritten with zeros, not left in free pages.
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    checkMasterKey(db, masterKey);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

const KEY_CHECK = 'key_check';
const KEY_CHECK_AAD = aad('key check v1', new Uint8Array(0));
const KEY_CHECK_TEXT = utf8.encode('softkey');

function checkMasterKey(db: SqliteDatabase, masterKey: Uint8Array): void {
  const { recordKey } = deriveStoreKeys(masterKey);
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(KEY_CHECK) as { value: Buffer } | undefined;
  if (!row) {
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(KEY_CHECK, seal(recordKey, KEY_CHECK_AAD, KEY_CHECK_TEXT));
    return;
  }
  let ok = false;
  try {
    ok = equal(unseal(recordKey, KEY_CHECK_AAD, row.value, 'key check'), KEY_CHECK_TEXT);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new StoreDecryptError(
      `${db.name} was written under a different master key: master.key does not belong to this database. ` +
        `Restore the master.key that was created with it.`,
    );
  }
}
