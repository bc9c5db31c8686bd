/**
 * Backup and restore of a data directory with SQLite's online backup API
 * (https://www.sqlite.org/backup.html, better-sqlite3 `db.backup(file)`).
 *
 * A backup is ONE file: a consistent copy of softkey.db (a plain SQLite database in rollback-journal
 * mode) that also holds the master key, in the `meta` row `backup.master_key`. A database without
 * its master key cannot be decrypted, so a backup without it would be useless; with it, the backup
 * file holds every secret of the key: it is created 0600 and must be kept like a private key.
 *
 * - backupDataDir reads while a device may be running (the online backup copies a consistent
 *   snapshot and restarts when the device writes meanwhile); it takes no lock.
 * - restoreDataDir takes the data directory's lock, so it is refused while a device owns it. It checks
 *   the backup (quick_check, its master key against its key check) before touching the directory;
 *   an existing database is replaced only when asked (`replace`), and is then moved aside, with its
 *   master key, into `<dir>/replaced-<time>/`, never deleted.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { toUint8 } from '../encoding/bytes.js';
import { checkIntegrity, checkMasterKey, openDatabase } from './database.js';
import { DATABASE_FILE, DATABASE_FILES } from './dataDir.js';
import { lockDataDir } from './dataDirLock.js';
import { MASTER_KEY_FILE, readMasterKey } from './masterKey.js';
import { ensurePrivateDir, ensurePrivateFile } from './permissions.js';
import { MASTER_KEY_LENGTH } from './sealing.js';
import {
  DataDirOccupiedError,
  DataDirStateError,
  StoreCorruptError,
  StoreIoError,
  storeError,
  translated,
} from './storeErrors.js';

const BACKUP_MASTER_KEY = 'backup.master_key';

export interface BackupSummary {
  file: string;
  bytes: number;
  residentCredentials: number;
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

function residentCount(db: Database.Database): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM resident').get() as { n: number }).n;
}

/** Writes a backup of `dir` to `target` (replacing it), 0600, and checks the copy. */
export async function backupDataDir(dir: string, target: string): Promise<BackupSummary> {
  const file = join(dir, DATABASE_FILE);
  if (!sizeOf(file)) throw new DataDirStateError(`nothing to back up: ${file} is missing or empty`, file);
  const masterKey = translated(dir, () => readMasterKey(join(dir, MASTER_KEY_FILE)));
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const source = translated(file, () => new Database(file, { readonly: true, fileMustExist: true }));
  try {
    translated(file, () => checkMasterKey(source, masterKey));
    rmSync(tmp, { force: true });
    ensurePrivateFile(tmp, true);
    try {
      await source.backup(tmp);
    } catch (e) {
      throw storeError(e, tmp);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    source.close();
  }
  try {
    const copy = translated(tmp, () => new Database(tmp, { fileMustExist: true }));
    let residentCredentials: number;
    try {
      translated(tmp, () => {
        // One self-contained file: no -wal beside the backup.
        copy.pragma('journal_mode = DELETE');
        checkIntegrity(copy);
        checkMasterKey(copy, masterKey);
        copy.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(BACKUP_MASTER_KEY, masterKey);
        residentCredentials = residentCount(copy);
      });
    } finally {
      copy.close();
    }
    fsyncFile(tmp);
    translated(target, () => renameSync(tmp, target));
    return { file: target, bytes: statSync(target).size, residentCredentials: residentCredentials! };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface RestoreSummary {
  dir: string;
  residentCredentials: number;
  /** Where the replaced database and master key were moved, when there were any. */
  replacedInto?: string;
}

/**
 * Restores `backup` into `dir`. Refused while a device owns `dir` (DataDirLockedError), and, unless
 * `replace`, when `dir` already holds a database.
 */
export async function restoreDataDir(
  backup: string,
  dir: string,
  options: { replace?: boolean; warn?: (m: string) => void } = {},
): Promise<RestoreSummary> {
  // Check the backup before anything in the data directory changes.
  translated(backup, () => statSync(backup));
  const source = translated(backup, () => new Database(backup, { readonly: true, fileMustExist: true }));
  let masterKey: Uint8Array;
  try {
    masterKey = translated(backup, () => {
      const row = source.prepare('SELECT value FROM meta WHERE key = ?').get(BACKUP_MASTER_KEY) as
        { value: Buffer } | undefined;
      if (!row || row.value.length !== MASTER_KEY_LENGTH) {
        throw new DataDirStateError(
          `${backup} is not a softkey backup (it holds no master key; make one with "softkey backup")`,
          backup,
        );
      }
      checkIntegrity(source);
      const key = toUint8(row.value);
      checkMasterKey(source, key);
      return key;
    });
  } catch (e) {
    source.close();
    if (e instanceof StoreCorruptError && (e.cause as { code?: string } | undefined)?.code === 'SQLITE_NOTADB') {
      throw new DataDirStateError(`${backup} is not a softkey backup (not an SQLite database)`, backup);
    }
    throw e;
  }

  ensurePrivateDir(dir, options.warn ?? ((m) => console.warn(`softkey: ${m}`)));
  const lock = lockDataDir(dir);
  const file = join(dir, DATABASE_FILE);
  const tmp = join(dir, `${DATABASE_FILE}.restore.tmp`);
  try {
    let replacedInto: string | undefined;
    const existing = sizeOf(file);
    if (existing) {
      if (!options.replace) {
        const what = `${dir} already holds a database (${existing} bytes)`;
        throw new DataDirOccupiedError(
          `${what}; restoring would replace it and every credential made since the backup`,
          dir,
        );
      }
    }
    rmSync(tmp, { force: true });
    ensurePrivateFile(tmp, true);
    try {
      await source.backup(tmp);
    } catch (e) {
      throw storeError(e, tmp);
    } finally {
      source.close();
    }
    let residentCredentials = 0;
    translated(tmp, () => {
      const copy = new Database(tmp, { fileMustExist: true });
      try {
        copy.prepare('DELETE FROM meta WHERE key = ?').run(BACKUP_MASTER_KEY);
        residentCredentials = residentCount(copy);
      } finally {
        copy.close();
      }
    });
    fsyncFile(tmp);
    // The old files move aside (never deleted); a -wal left beside the new file would be replayed into it.
    const old = [...DATABASE_FILES, MASTER_KEY_FILE].filter((f) => sizeOf(join(dir, f)) !== undefined);
    if (old.length > 0) {
      replacedInto = join(dir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      translated(replacedInto, () => {
        mkdirSync(replacedInto!, { mode: 0o700 });
        for (const f of old) renameSync(join(dir, f), join(replacedInto!, f));
      });
    }
    writeMasterKey(join(dir, MASTER_KEY_FILE), masterKey);
    translated(file, () => renameSync(tmp, file));
    // Open it as a device would: integrity, migrations to this version, the key check.
    openDatabase(file, masterKey).close();
    return { dir, residentCredentials, ...(replacedInto && { replacedInto }) };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    if (source.open) source.close();
    lock.release();
  }
}

function writeMasterKey(path: string, key: Uint8Array): void {
  translated(path, () => {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

function fsyncFile(path: string): void {
  try {
    const fd = openSync(path, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new StoreIoError(`${path}: cannot sync to disk: ${(e as Error).message}`, path, { cause: e });
  }
}
