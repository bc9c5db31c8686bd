/**
 * The versioned SQLite schema (architecture habit 9): an ordered list of migrations, the database's
 * version recorded in `PRAGMA user_version`. At open, every pending migration runs in one IMMEDIATE
 * transaction (so two processes opening the same file cannot both migrate, and a failing migration
 * leaves the database at its old version). A database from a newer softkey is refused untouched.
 *
 * Never edit a released migration; append a new one. Each sealed row also carries a `format`
 * column: the version of its sealed payload (see sqliteStore.ts / sqliteVault.ts).
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3, … in order; the user_version after this migration. */
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'resident credentials, counters, state, large-blob array, vault secrets, key check',
    up(db) {
      db.exec(`
        CREATE TABLE resident (
          seq               INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: listing is newest first
          credential_id     BLOB    NOT NULL UNIQUE,           -- already a sealed blob (credentialId.ts)
          rp_id             TEXT    NOT NULL,
          rp_name           TEXT,
          user_id           BLOB    NOT NULL,
          user_name         TEXT,
          user_display_name TEXT,
          created_at        INTEGER NOT NULL,
          format            INTEGER NOT NULL,                  -- version of the sealed payload
          sealed            BLOB    NOT NULL                   -- alg, publicKey, credProtect, credBlob, largeBlobKey, flags
        );
        CREATE INDEX resident_rp_user ON resident (rp_id, user_id);

        CREATE TABLE counters (
          credential_id BLOB    PRIMARY KEY,                   -- any credential, resident or not
          value         INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE state (
          key    TEXT    PRIMARY KEY,
          format INTEGER NOT NULL,
          sealed BLOB    NOT NULL                              -- JSON text, sealed
        ) WITHOUT ROWID;

        CREATE TABLE large_blob (
          id     INTEGER PRIMARY KEY CHECK (id = 1),
          format INTEGER NOT NULL,
          sealed BLOB    NOT NULL                              -- serialized large-blob array, sealed
        );

        CREATE TABLE secrets (
          name   TEXT    PRIMARY KEY,
          format INTEGER NOT NULL,
          sealed BLOB    NOT NULL                              -- sealed under the vault key, aad = name
        ) WITHOUT ROWID;

        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value BLOB NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'credential slots: profiles where every credential is stored (credentialSlot.ts)',
    up(db) {
      db.exec(`
        CREATE TABLE credential_slot (
          credential_id BLOB    PRIMARY KEY,                   -- the handle the relying party sees
          rp_id_hash    BLOB    NOT NULL,
          created_at    INTEGER NOT NULL,
          format        INTEGER NOT NULL,                      -- version of the sealed payload
          sealed        BLOB    NOT NULL                       -- flags, alg, credProtect, credBlob, key secret
        ) WITHOUT ROWID;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to the last migration of `migrations`; returns the resulting version.
 * Throws SchemaVersionError (database unchanged) when the database is newer than this code.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: entry ${i} has version ${m.version}`);
  });
  const latest = migrations.length;
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > latest) {
      throw new SchemaVersionError(
        `${db.name} has schema version ${current}, but this softkey only knows versions up to ${latest}: ` +
          `it was written by a newer softkey. Upgrade softkey, or point it at another data directory.`,
      );
    }
    for (const m of migrations.slice(current)) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
    return latest;
  });
  return run.immediate();
}
