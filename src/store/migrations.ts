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
import {
  openResidentRowV1,
  RESIDENT_ROW_COLUMNS,
  sealResidentRow,
  type ResidentRow,
  type ResidentRowV1,
} from './residentRecord.js';
import { deriveStoreKeys } from './sealing.js';

/** What a migration may need besides the database: the master key, to re-seal records. */
export interface MigrationContext {
  masterKey?: Uint8Array;
}

export interface Migration {
  /** 1, 2, 3, … in order; the user_version after this migration. */
  version: number;
  description: string;
  up(db: Database.Database, context: MigrationContext): void;
}

/**
 * Schema version 3's discoverable-credential tables: the `resident` rows (residentRecord.ts), one
 * `resident_rp` row per RP with its credential counts by credProtect level, and `resident_totals`
 * (how many, and a generation that changes with every write), kept by triggers in the same
 * transaction as the write, so no lookup counts rows. The indexes serve the lookups of 100,000
 * credentials of one RP: newest first over all levels (rp_id_hash; seq is the rowid, so index order
 * within an RP is creation order) or one level (rp_id_hash, cred_protect), and the (RP, user)
 * replacement rule (rp_id_hash, user_key).
 */
const RESIDENT_SCHEMA_V3 = `
  CREATE TABLE resident (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,        -- creation order: lookups answer newest first
    credential_id BLOB    NOT NULL UNIQUE,                 -- already a sealed blob (credentialId.ts)
    rp_id_hash   BLOB    NOT NULL,
    rp_id        TEXT    NOT NULL,
    rp_name      TEXT,
    cred_protect INTEGER NOT NULL CHECK (cred_protect BETWEEN 1 AND 3),
    user_key     BLOB    NOT NULL,                         -- HMAC of the user ID, not the user ID
    format       INTEGER NOT NULL,                         -- version of the sealed payload
    sealed       BLOB    NOT NULL                          -- user entity, alg, public key, blobs, flags, creation time
  );
  CREATE INDEX resident_by_rp ON resident (rp_id_hash);
  CREATE INDEX resident_by_rp_level ON resident (rp_id_hash, cred_protect);
  CREATE INDEX resident_by_rp_user ON resident (rp_id_hash, user_key);

  CREATE TABLE resident_rp (
    rp_id_hash BLOB    PRIMARY KEY,
    rp_id      TEXT    NOT NULL,
    rp_name    TEXT,                                       -- the newest credential's non-null rp_name
    first_seq  INTEGER NOT NULL,                           -- RPs list in order of their oldest credential
    n1         INTEGER NOT NULL,                           -- credentials with credProtect 1, 2, 3
    n2         INTEGER NOT NULL,
    n3         INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX resident_rp_order ON resident_rp (first_seq);

  CREATE TABLE resident_totals (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    n          INTEGER NOT NULL,
    generation INTEGER NOT NULL                            -- +1 on every insert, delete, update; never reset
  );
  INSERT INTO resident_totals (id, n, generation) VALUES (1, 0, 0);

  CREATE TRIGGER resident_added AFTER INSERT ON resident BEGIN
    INSERT OR IGNORE INTO resident_rp (rp_id_hash, rp_id, rp_name, first_seq, n1, n2, n3)
      VALUES (new.rp_id_hash, new.rp_id, NULL, new.seq, 0, 0, 0);
    UPDATE resident_rp SET
      n1 = n1 + (new.cred_protect = 1), n2 = n2 + (new.cred_protect = 2), n3 = n3 + (new.cred_protect = 3),
      rp_name = coalesce(new.rp_name, rp_name)
    WHERE rp_id_hash = new.rp_id_hash;
    UPDATE resident_totals SET n = n + 1, generation = generation + 1;
  END;

  CREATE TRIGGER resident_removed AFTER DELETE ON resident BEGIN
    UPDATE resident_rp SET
      n1 = n1 - (old.cred_protect = 1), n2 = n2 - (old.cred_protect = 2), n3 = n3 - (old.cred_protect = 3),
      first_seq = CASE WHEN old.seq = first_seq
        THEN coalesce((SELECT min(seq) FROM resident WHERE rp_id_hash = old.rp_id_hash), first_seq) ELSE first_seq END,
      rp_name = CASE WHEN old.rp_name IS NULL THEN rp_name
        ELSE (SELECT rp_name FROM resident WHERE rp_id_hash = old.rp_id_hash AND rp_name IS NOT NULL ORDER BY seq DESC LIMIT 1) END
    WHERE rp_id_hash = old.rp_id_hash;
    DELETE FROM resident_rp WHERE rp_id_hash = old.rp_id_hash AND n1 + n2 + n3 = 0;
    UPDATE resident_totals SET n = n - 1, generation = generation + 1;
  END;

  CREATE TRIGGER resident_updated AFTER UPDATE ON resident BEGIN
    UPDATE resident_totals SET generation = generation + 1;
  END;
`;

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
  {
    version: 3,
    description: 'resident credentials at scale: indexed clear lookup columns, kept counts, the user entity sealed',
    up(db, { masterKey }) {
      db.exec('ALTER TABLE resident RENAME TO resident_v1; DROP INDEX resident_rp_user;');
      db.exec(RESIDENT_SCHEMA_V3);
      const old = db.prepare<[], ResidentRowV1>('SELECT * FROM resident_v1 ORDER BY seq');
      const insert = db.prepare<[number, ...unknown[]]>(
        `INSERT INTO resident (seq, ${RESIDENT_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      let keys: ReturnType<typeof deriveStoreKeys> | undefined;
      for (const row of old.all() as Array<ResidentRowV1 & { seq: number }>) {
        if (!masterKey) throw new Error('migration 3 re-seals resident credentials and needs the master key');
        keys ??= deriveStoreKeys(masterKey);
        const r: ResidentRow = sealResidentRow(keys.recordKey, keys.indexKey, openResidentRowV1(keys.recordKey, row));
        insert.run(
          row.seq,
          r.credential_id,
          r.rp_id_hash,
          r.rp_id,
          r.rp_name,
          r.cred_protect,
          r.user_key,
          r.format,
          r.sealed,
        );
      }
      db.exec('DROP TABLE resident_v1');
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
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  context: MigrationContext = {},
): number {
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
      m.up(db, context);
      db.pragma(`user_version = ${m.version}`);
    }
    return latest;
  });
  return run.immediate();
}
