/**
 * Vault on SQLite: the `secrets` table of softkey.db. Each value is sealed with AES-256-GCM under the
 * vault key (derived from the master key, see sealing.ts), with a fresh 12-byte random nonce per
 * write and the secret's name as associated data, so a value cannot be moved to another name.
 */
import { toUint8, utf8 } from '../encoding/bytes.js';
import type { SqliteDatabase } from './database.js';
import { deriveStoreKeys, seal, unseal } from './sealing.js';
import { guardStatement } from './storeErrors.js';
import type { Vault } from './vault.js';
import type Database from 'better-sqlite3';

/** Version of the sealed payload of `secrets` rows. */
export const SECRET_FORMAT = 1;

interface SecretRow {
  format: number;
  sealed: Buffer;
}

export class SqliteVault implements Vault {
  private readonly vaultKey: Uint8Array;
  private readonly getStmt: Database.Statement<[string], SecretRow>;
  private readonly putStmt: Database.Statement<[string, number, Uint8Array]>;
  private readonly insertStmt: Database.Statement<[string, number, Uint8Array]>;
  private readonly deleteStmt: Database.Statement<[string]>;

  /** `db` must already be migrated (see openDatabase); the vault does not own the connection. */
  constructor(
    readonly db: SqliteDatabase,
    masterKey: Uint8Array,
  ) {
    this.vaultKey = deriveStoreKeys(masterKey).vaultKey;
    this.getStmt = guardStatement(db.prepare('SELECT format, sealed FROM secrets WHERE name = ?'), db.name);
    this.putStmt = guardStatement(
      db.prepare(
        'INSERT INTO secrets (name, format, sealed) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET format = excluded.format, sealed = excluded.sealed',
      ),
      db.name,
    );
    this.insertStmt = guardStatement(
      db.prepare('INSERT INTO secrets (name, format, sealed) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING'),
      db.name,
    );
    this.deleteStmt = guardStatement(db.prepare('DELETE FROM secrets WHERE name = ?'), db.name);
  }

  secret(name: string, create: () => Uint8Array): Uint8Array {
    const existing = this.get(name);
    if (existing) return existing;
    const value = create();
    // DO NOTHING: if another connection created it meanwhile, theirs wins and is returned.
    this.insertStmt.run(name, SECRET_FORMAT, this.seal(name, value));
    return this.get(name)!;
  }

  get(name: string): Uint8Array | undefined {
    const row = this.getStmt.get(name);
    if (!row) return undefined;
    if (row.format !== SECRET_FORMAT)
      throw new Error(`secret "${name}" has format ${row.format}, this softkey reads format ${SECRET_FORMAT}`);
    return unseal(this.vaultKey, utf8.encode(name), toUint8(row.sealed), `secret "${name}"`);
  }

  set(name: string, value: Uint8Array): void {
    this.putStmt.run(name, SECRET_FORMAT, this.seal(name, value));
  }

  delete(name: string): void {
    this.deleteStmt.run(name);
  }

  names(): string[] {
    return this.db
      .prepare<[], { name: string }>('SELECT name FROM secrets ORDER BY name')
      .all()
      .map((r) => r.name);
  }

  private seal(name: string, value: Uint8Array): Uint8Array {
    return seal(this.vaultKey, utf8.encode(name), value);
  }
}
