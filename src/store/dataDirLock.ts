/**
 * One owner per data directory. The lock is SQLite's own file lock (POSIX fcntl) on
 * `<dataDir>/softkey.lock`, a tiny database opened with `locking_mode = EXCLUSIVE` and written once,
 * so the connection keeps an EXCLUSIVE lock until it closes (https://www.sqlite.org/pragma.html#pragma_locking_mode).
 * The kernel drops the lock when the owner exits in any way (kill -9 included), so a lock is never
 * stale and a reused pid cannot fake one; SQLite also refuses a second connection of the same
 * process (openSoftKey twice on one directory). A second owner gets SQLITE_BUSY at once.
 *
 * The lock holds no readable data, so the owner also writes `<dataDir>/softkey.owner` (pid, start
 * time, command) after taking the lock, for the refusal message; it is informative only.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile } from './permissions.js';
import { DataDirLockedError, storeError } from './storeErrors.js';

export const LOCK_FILE = 'softkey.lock';
export const OWNER_FILE = 'softkey.owner';

/** What softkey.owner says about the process holding the lock. */
export interface DataDirOwner {
  pid: number;
  /** ISO time the lock was taken. */
  since: string;
  /** The owner's command line (argv after node), e.g. "softkey start --data-dir …". */
  command: string;
}

export interface DataDirLock {
  readonly dir: string;
  /** Releases the lock and removes the owner file. Idempotent. */
  release(): void;
}

/** Takes the lock on `dir` (which must exist), or throws DataDirLockedError naming the owner. */
export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, LOCK_FILE);
  ensurePrivateFile(file, true);
  let db: Database.Database;
  try {
    // timeout 0: a second owner is refused at once, not after busy_timeout.
    db = new Database(file, { timeout: 0 });
  } catch (e) {
    throw storeError(e, file);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    // The first write takes the EXCLUSIVE lock; in EXCLUSIVE locking mode it is kept after COMMIT.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY); COMMIT;');
  } catch (e) {
    db.close();
    if (
      (e as { code?: string }).code?.startsWith('SQLITE_BUSY') ||
      (e as { code?: string }).code?.startsWith('SQLITE_LOCKED')
    ) {
      const owner = readDataDirOwner(dir);
      const who = owner ? `softkey pid ${owner.pid} (since ${owner.since}: ${owner.command})` : 'another process';
      throw new DataDirLockedError(`the data directory ${dir} is in use by ${who}`, dir, owner?.pid);
    }
    throw storeError(e, file);
  }
  const ownerFile = join(dir, OWNER_FILE);
  const owner: DataDirOwner = {
    pid: process.pid,
    since: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  try {
    writeFileSync(ownerFile, JSON.stringify(owner) + '\n', { mode: 0o600 });
  } catch {
    // informative only: the lock is what counts
  }
  let held = true;
  return {
    dir,
    release() {
      if (!held) return;
      held = false;
      if (readDataDirOwner(dir)?.pid === process.pid) rmSync(ownerFile, { force: true });
      db.close();
    },
  };
}

/** The owner file's contents, or undefined when absent or unreadable. */
export function readDataDirOwner(dir: string): DataDirOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as DataDirOwner;
    return Number.isInteger(o.pid) ? o : undefined;
  } catch {
    return undefined;
  }
}
