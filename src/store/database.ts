/**
 * Opens softkey.db: connection settings, an integrity check (PRAGMA quick_check, so a damaged file
 * is refused at start instead of failing every request), migrations, and a check that the master
 * key is the one the database was written under (so a swapped master.key fails at start, not at the
 * first assertion). SQLite and file-system errors become typed StoreErrors (storeErrors.ts).
 */
import Database from 'better-sqlite3';
import { equal, utf8 } from '../encoding/bytes.js';
import { migrate, MIGRATIONS, schemaVersion } from './migrations.js';
import { aad, deriveStoreKeys, seal, StoreDecryptError, unseal } from './sealing.js';
import { StoreCorruptError, storeError } from './storeErrors.js';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string, masterKey: Uint8Array): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(file);
  } catch (e) {
    throw storeError(e, file);
  }
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
    checkIntegrity(db);
    // A database that has its key check already is checked before a migration re-seals anything.
    if (schemaVersion(db) >= 1 && !db.readonly) checkMasterKey(db, masterKey);
    migrate(db, MIGRATIONS, { masterKey });
    checkMasterKey(db, masterKey);
    return db;
  } catch (e) {
    db.close();
    throw storeError(e, file);
  }
}

/** How many of quick_check's findings a refusal quotes. */
const QUICK_CHECK_QUOTED = 3;

/**
 * PRAGMA quick_check (https://www.sqlite.org/pragma.html#pragma_quick_check): every page and
 * record well formed, in O(N); skips only the index-content comparison of integrity_check.
 */
export function checkIntegrity(db: SqliteDatabase): void {
  const findings = (db.pragma(`quick_check(${QUICK_CHECK_QUOTED})`) as Array<{ quick_check: string }>).map(
    (r) => r.quick_check,
  );
  if (findings.length === 1 && findings[0] === 'ok') return;
  throw new StoreCorruptError(
    `${db.name} is damaged (PRAGMA quick_check: ${findings.join('; ')}). softkey will not use it: restore it from a backup ` +
      `(softkey restore FILE); the damaged file is left as it is.`,
    db.name,
  );
}

const KEY_CHECK = 'key_check';
const KEY_CHECK_AAD = aad('key check v1', new Uint8Array(0));
const KEY_CHECK_TEXT = utf8.encode('softkey');

/**
 * Throws StoreDecryptError unless `masterKey` is the key `db` was written under. A database that has
 * no key check yet gets one (unless it is read-only).
 */
export function checkMasterKey(db: SqliteDatabase, masterKey: Uint8Array): void {
  const { recordKey } = deriveStoreKeys(masterKey);
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(KEY_CHECK) as { value: Buffer } | undefined;
  if (!row) {
    if (db.readonly) return;
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
      KEY_CHECK,
      seal(recordKey, KEY_CHECK_AAD, KEY_CHECK_TEXT),
    );
    return;
  }
  let ok: boolean;
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
