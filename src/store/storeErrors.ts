/**
 * Typed errors of the data directory and its database. The store raises these with the path and the
 * cause in the message; callers (authenticator, cli, main) decide what they become: a CTAP status
 * (StoreFullError → CTAP2_ERR_KEY_STORE_FULL), a one-line log, or a message and exit code.
 * SQLite's own errors (better-sqlite3 SqliteError, `code` = 'SQLITE_FULL', 'SQLITE_IOERR_WRITE' …,
 * https://www.sqlite.org/rescode.html) and file-system errors (ENOSPC, EACCES, EROFS …) are
 * translated here, in one place.
 */

/** Anything the data directory could not do; `path` is the file or directory concerned. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The file system holding the data directory is full (SQLITE_FULL, ENOSPC, EDQUOT). */
export class StoreFullError extends StoreError {
  override name = 'StoreFullError';
}

/** The database file is damaged or not a database (SQLITE_CORRUPT, SQLITE_NOTADB, quick_check). */
export class StoreCorruptError extends StoreError {
  override name = 'StoreCorruptError';
}

/** Reading or writing failed: permissions, a read-only file system, an I/O error, a missing path. */
export class StoreIoError extends StoreError {
  override name = 'StoreIoError';
}

/** The data directory belongs to another running softkey (see dataDirLock.ts). */
export class DataDirLockedError extends StoreError {
  override name = 'DataDirLockedError';
  constructor(
    message: string,
    path: string,
    /** The owner's pid, when its owner file could be read. */
    readonly ownerPid: number | undefined,
  ) {
    super(message, path);
  }
}

/** The data directory's files are inconsistent (a master key without its database, …). */
export class DataDirStateError extends StoreError {
  override name = 'DataDirStateError';
}

/** A restore would replace a database that is already there (the caller must ask for it). */
export class DataDirOccupiedError extends DataDirStateError {
  override name = 'DataDirOccupiedError';
}

const FS_CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the file system',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EIO: 'an input/output error',
};

/** A short human cause for a file-system or SQLite error code, e.g. 'the file system is read-only'. */
export function describeCause(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && code in FS_CAUSES) return FS_CAUSES[code]!;
  return (e as Error)?.message ?? String(e);
}

/**
 * The StoreError for `e` (thrown while working on `path`), or `e` itself when it is none of ours to
 * translate (a constraint violation, a programming error).
 */
export function storeError(e: unknown, path: string): unknown {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return e;
  // SQLITE_IOERR_SHMSIZE: the -shm file could not grow, "may indicate that the underlying file system
  // volume is out of space" (rescode.html); it is what opening a WAL database on a full disk gives.
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC' || code === 'EDQUOT') {
    const cause = describeCause({ code: code.startsWith('SQLITE') ? 'ENOSPC' : code });
    return new StoreFullError(`${path}: ${cause} (${code})`, path, { cause: e });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StoreCorruptError(
      `${path} is damaged (${code}): ${(e as Error).message}; restore it from a backup`,
      path,
      { cause: e },
    );
  }
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code in FS_CAUSES
  ) {
    return new StoreIoError(`${path}: ${code in FS_CAUSES ? describeCause(e) : (e as Error).message} (${code})`, path, {
      cause: e,
    });
  }
  return e;
}

/** Runs `fn`, translating its SQLite and file-system errors (see storeError). */
export function translated<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storeError(e, path);
  }
}

/**
 * Makes a prepared statement's run/get/all throw StoreErrors (see storeError). Writes in an explicit
 * transaction also commit through the transaction function: wrap those calls with `translated`.
 */
export function guardStatement<S extends object>(stmt: S, path: string): S {
  for (const method of ['run', 'get', 'all'] as const) {
    const original = (stmt as Record<string, unknown>)[method];
    if (typeof original !== 'function') continue;
    const call = original as (...args: unknown[]) => unknown;
    Object.defineProperty(stmt, method, {
      value: (...args: unknown[]) => translated(path, () => call.apply(stmt, args)),
    });
  }
  return stmt;
}
