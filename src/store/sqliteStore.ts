/**
 * CredentialStore on SQLite (better-sqlite3), in `<dataDir>/softkey.db`. Same contract as
 * MemoryStore; every method is synchronous and committed before it returns (architecture habit 9).
 *
 * Discoverable credentials: residentRecord.ts says which columns are clear (what lookups filter and
 * order on: RP, credProtect level, a keyed hash of the user ID, creation order) and what is sealed
 * (the user entity, public key, blobs, flags, creation time); migrations.ts keeps their counts by
 * trigger. A lookup unseals only the credential it answers with.
 * Counters are clear. State values and the large-blob array are sealed, so nothing a future caller
 * puts there can leak. Credential slots (credentialSlot.ts) keep their RP ID hash in the clear and
 * their payload (key secret included) sealed, bound to the slot handle.
 */
import { toHex, toUint8, utf8 } from '../encoding/bytes.js';
import { decode, encode, isMap, type CborMap } from '../encoding/cbor.js';
import { ALG_CODES } from './credentialId.js';
import { decodePayloadFlags, encodePayloadFlags } from './credentialPayload.js';
import type { CredentialSlot } from './credentialSlot.js';
import type {
  CredentialStore,
  CredProtectLevel,
  ResidentCredential,
  ResidentSelection,
  ResidentStep,
  RpSummary,
} from './credentialStore.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import {
  openResidentRow,
  RESIDENT_ROW_COLUMNS,
  rpIdHashOf,
  sealResidentRow,
  userKeyOf,
  type StoredResidentRow,
} from './residentRecord.js';
import { aad, deriveStoreKeys, seal, unseal } from './sealing.js';
import { guardStatement, translated } from './storeErrors.js';
import type Database from 'better-sqlite3';

/** Version of the sealed payload of `state`, `large_blob` and `credential_slot` rows (`resident`: residentRecord.ts). */
export const RECORD_FORMAT = 1;
/** Counter values reserved per write (see incrementCounter). */
export const COUNTER_RESERVATION = 64;
const COUNTER_CACHE_SIZE = 4096;
/** meta row present while persisted counters may be reserved ceilings rather than the values handed out. */
const COUNTERS_RESERVED = 'counters_reserved';

const STATE_AAD = `state v${RECORD_FORMAT}`;
const LARGE_BLOB_AAD = `large blob v${RECORD_FORMAT}`;
const SLOT_AAD = `slot v${RECORD_FORMAT}`;

/** Keys of the sealed slot payload (a CBOR map). Never reuse a retired key. */
const S = { flags: 1, alg: 2, credProtect: 3, credBlob: 4, secret: 5 } as const;

interface SealedRow {
  format: number;
  sealed: Buffer;
}

const RESIDENT_COLUMNS = RESIDENT_ROW_COLUMNS;
type ResidentRow = StoredResidentRow;

export class SqliteStore implements CredentialStore {
  private readonly recordKey: Uint8Array;
  private readonly indexKey: Uint8Array;
  private readonly stmt;
  private readonly putTx;
  private readonly putManyTx;
  private readonly wipeTx;
  private readonly deleteTx;
  private readonly counterCache = new Map<string, { id: Uint8Array; value: number; ceiling: number }>();
  /** A run before this one left ceilings on disk (it did not close cleanly). */
  private reservedAtOpen: boolean;
  /** This run has written a ceiling (and the COUNTERS_RESERVED mark). */
  private reservedHere = false;

  /** Opens (creating and migrating) a database file, or ':memory:'. The store owns the connection. */
  static open(file: string, masterKey: Uint8Array): SqliteStore {
    return new SqliteStore(openDatabase(file, masterKey), masterKey);
  }

  /**
   * `db` must already be migrated (see openDatabase). close() closes `db`, which a SqliteVault on the
   * same connection shares.
   */
  constructor(
    readonly db: SqliteDatabase,
    masterKey: Uint8Array,
  ) {
    ({ recordKey: this.recordKey, indexKey: this.indexKey } = deriveStoreKeys(masterKey));
    // Every statement throws StoreErrors (SQLITE_FULL → StoreFullError …), see storeErrors.ts.
    const p = <R = unknown>(sql: string): Database.Statement<unknown[], R> =>
      guardStatement(db.prepare<unknown[], R>(sql), db.name);
    this.stmt = {
      residentByRpUser: p<{ credential_id: Buffer }>(
        'SELECT credential_id FROM resident WHERE rp_id_hash = ? AND user_key = ? ORDER BY seq',
      ),
      insertResident: p(`INSERT INTO resident (${RESIDENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteResident: p('DELETE FROM resident WHERE credential_id = ?'),
      getResident: p<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM resident WHERE credential_id = ?`),
      residentAt: p<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM resident WHERE seq = ?`),
      // Newest first below a position: one index seek each (rp_id_hash / rp_id_hash, cred_protect; seq is the rowid).
      newestOfLevel: p<{ seq: number }>(
        'SELECT seq FROM resident WHERE rp_id_hash = ? AND cred_protect = ? AND seq < ? ORDER BY seq DESC LIMIT 1',
      ),
      // The same seeks answering the row itself: one statement per step when one seek decides it.
      newestRowOfRp: p<ResidentRow & { seq: number }>(
        `SELECT seq, ${RESIDENT_COLUMNS} FROM resident WHERE rp_id_hash = ? AND seq < ? ORDER BY seq DESC LIMIT 1`,
      ),
      newestRowOfLevel: p<ResidentRow & { seq: number }>(
        `SELECT seq, ${RESIDENT_COLUMNS} FROM resident WHERE rp_id_hash = ? AND cred_protect = ? AND seq < ? ORDER BY seq DESC LIMIT 1`,
      ),
      rpCounts: p<{ n1: number; n2: number; n3: number }>('SELECT n1, n2, n3 FROM resident_rp WHERE rp_id_hash = ?'),
      listResident: p<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM resident WHERE rp_id_hash = ? ORDER BY seq DESC`),
      listAllResident: p<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM resident ORDER BY seq DESC`),
      listRps: p<{ rp_id: string; rp_name: string | null; n: number }>(
        'SELECT rp_id, rp_name, n1 + n2 + n3 AS n FROM resident_rp ORDER BY first_seq',
      ),
      totals: p<{ n: number; generation: number }>('SELECT n, generation FROM resident_totals'),
      updateResident: p('UPDATE resident SET user_key = ?, sealed = ?, format = ? WHERE credential_id = ?'),
      getCounter: p<{ value: number }>('SELECT value FROM counters WHERE credential_id = ?'),
      incrementCounter: p<{ value: number }>(
        `INSERT INTO counters (credential_id, value) VALUES (?, ?)
         ON CONFLICT (credential_id) DO UPDATE SET value = counters.value + excluded.value RETURNING value`,
      ),
      setCounter: p(
        'INSERT INTO counters (credential_id, value) VALUES (?, ?) ON CONFLICT (credential_id) DO UPDATE SET value = excluded.value',
      ),
      deleteCounter: p('DELETE FROM counters WHERE credential_id = ?'),
      getState: p<SealedRow>('SELECT format, sealed FROM state WHERE key = ?'),
      setState: p(
        'INSERT INTO state (key, format, sealed) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET format = excluded.format, sealed = excluded.sealed',
      ),
      deleteState: p('DELETE FROM state WHERE key = ?'),
      getLargeBlob: p<SealedRow>('SELECT format, sealed FROM large_blob WHERE id = 1'),
      setLargeBlob: p(
        'INSERT INTO large_blob (id, format, sealed) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed',
      ),
      putSlot: p(
        'INSERT INTO credential_slot (credential_id, rp_id_hash, created_at, format, sealed) VALUES (?, ?, ?, ?, ?)',
      ),
      getSlot: p<{ rp_id_hash: Buffer; created_at: number; format: number; sealed: Buffer }>(
        'SELECT rp_id_hash, created_at, format, sealed FROM credential_slot WHERE credential_id = ?',
      ),
      deleteSlot: p('DELETE FROM credential_slot WHERE credential_id = ?'),
      countSlots: p<{ n: number }>('SELECT COUNT(*) AS n FROM credential_slot'),
      // resident_rp first, so the per-row triggers of the resident wipe find nothing to update.
      wipe: ['resident_rp', 'resident', 'counters', 'state', 'large_blob', 'credential_slot'].map((t) =>
        p(`DELETE FROM ${t}`),
      ),
      getMark: p<{ value: Buffer }>('SELECT value FROM meta WHERE key = ?'),
      setMark: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      deleteMark: p('DELETE FROM meta WHERE key = ?'),
    };
    this.reservedAtOpen = this.stmt.getMark.get(COUNTERS_RESERVED) !== undefined;
    const put = (cred: ResidentCredential): Uint8Array | undefined => {
      const row = sealResidentRow(this.recordKey, this.indexKey, cred);
      let replaced: Uint8Array | undefined;
      for (const old of this.stmt.residentByRpUser.all(row.rp_id_hash, row.user_key)) {
        this.stmt.deleteResident.run(old.credential_id);
        this.stmt.deleteCounter.run(old.credential_id);
        this.stmt.deleteSlot.run(old.credential_id);
        replaced = toUint8(old.credential_id);
      }
      // Same credential ID under another user: a plain overwrite, as in MemoryStore.
      this.stmt.deleteResident.run(cred.credentialId);
      const { credential_id, rp_id_hash, rp_id, rp_name, cred_protect, user_key, format, sealed } = row;
      this.stmt.insertResident.run(credential_id, rp_id_hash, rp_id, rp_name, cred_protect, user_key, format, sealed);
      return replaced;
    };
    this.putTx = db.transaction(put);
    this.putManyTx = db.transaction((creds: Iterable<ResidentCredential>): Uint8Array[] => {
      const ids: Uint8Array[] = [];
      for (const c of creds) {
        const replaced = put(c);
        if (replaced) ids.push(replaced);
        ids.push(c.credentialId);
      }
      return ids;
    });
    this.deleteTx = db.transaction((credentialId: Uint8Array): boolean => {
      this.stmt.deleteCounter.run(credentialId);
      this.stmt.deleteSlot.run(credentialId);
      return this.stmt.deleteResident.run(credentialId).changes > 0;
    });
    this.wipeTx = db.transaction(() => {
      for (const s of this.stmt.wipe) s.run();
    });
  }

  putResident(cred: ResidentCredential): Uint8Array | undefined {
    const replaced = translated(this.db.name, () => this.putTx.immediate(cred));
    if (replaced) this.counterCache.delete(toHex(replaced));
    this.counterCache.delete(toHex(cred.credentialId));
    return replaced;
  }

  putResidents(creds: Iterable<ResidentCredential>): void {
    const touched = translated(this.db.name, () => this.putManyTx.immediate(creds));
    for (const id of touched) this.counterCache.delete(toHex(id));
  }

  getResident(credentialId: Uint8Array): ResidentCredential | undefined {
    const row = this.stmt.getResident.get(credentialId);
    return row && this.fromRow(row);
  }

  findResident(rpIdHash: Uint8Array, userId: Uint8Array): Uint8Array | undefined {
    const row = this.stmt.residentByRpUser.get(rpIdHash, userKeyOf(this.indexKey, rpIdHash, userId));
    return row && toUint8(row.credential_id);
  }

  countResidentOf({ rpIdHash, maxCredProtect }: ResidentSelection): number {
    const c = this.stmt.rpCounts.get(rpIdHash);
    if (!c) return 0;
    return c.n1 + (maxCredProtect >= 2 ? c.n2 : 0) + (maxCredProtect >= 3 ? c.n3 : 0);
  }

  nextResident(
    { rpIdHash, maxCredProtect }: ResidentSelection,
    after = Number.MAX_SAFE_INTEGER,
  ): ResidentStep | undefined {
    // Every level, or only level 1: one seek answers the row (each statement outside a transaction
    // costs file-lock system calls, more than the seek).
    const row =
      maxCredProtect >= 3
        ? this.stmt.newestRowOfRp.get(rpIdHash, after)
        : maxCredProtect === 1
          ? this.stmt.newestRowOfLevel.get(rpIdHash, 1, after)
          : undefined;
    if (row) return { credential: this.fromRow(row), position: row.seq };
    if (maxCredProtect !== 2) return undefined;
    // Levels 1 and 2: one seek per level, the newest of them wins.
    let seq: number | undefined;
    for (let level = 1; level <= 2; level++) {
      const s = this.stmt.newestOfLevel.get(rpIdHash, level, after)?.seq;
      if (s !== undefined && (seq === undefined || s > seq)) seq = s;
    }
    if (seq === undefined) return undefined;
    return { credential: this.fromRow(this.stmt.residentAt.get(seq)!), position: seq };
  }

  listResident(rpId: string): ResidentCredential[] {
    return this.stmt.listResident.all(rpIdHashOf(rpId)).map((r) => this.fromRow(r));
  }

  listAllResident(): ResidentCredential[] {
    return this.stmt.listAllResident.all().map((r) => this.fromRow(r));
  }

  listRps(): RpSummary[] {
    return this.stmt.listRps.all().map((r) => {
      const rp: RpSummary = { rpId: r.rp_id, credentialCount: r.n };
      if (r.rp_name !== null) rp.rpName = r.rp_name;
      return rp;
    });
  }

  countResident(): number {
    return this.stmt.totals.get()!.n;
  }

  residentGeneration(): number {
    return this.stmt.totals.get()!.generation;
  }

  deleteResident(credentialId: Uint8Array): boolean {
    this.counterCache.delete(toHex(credentialId));
    return translated(this.db.name, () => this.deleteTx.immediate(credentialId));
  }

  updateUser(credentialId: Uint8Array, user: { id: Uint8Array; name?: string; displayName?: string }): boolean {
    const current = this.getResident(credentialId);
    if (!current) return false;
    const next: ResidentCredential = { ...current, userId: user.id };
    delete next.userName;
    delete next.userDisplayName;
    if (user.name !== undefined) next.userName = user.name;
    if (user.displayName !== undefined) next.userDisplayName = user.displayName;
    const row = sealResidentRow(this.recordKey, this.indexKey, next);
    return this.stmt.updateResident.run(row.user_key, row.sealed, row.format, credentialId).changes > 0;
  }

  getCounter(credentialId: Uint8Array): number {
    return this.counterCache.get(toHex(credentialId))?.value ?? this.stmt.getCounter.get(credentialId)?.value ?? 0;
  }

  /**
   * Counters are persisted as a reserved ceiling: a write happens once every COUNTER_RESERVATION
   * uses, and what is on disk is always ≥ every value handed out, so a counter never goes
   * backwards, even after a crash (it may then jump forward by less than the reservation).
   * A clean close() writes the exact values. This keeps an assertion off the SQLite commit path
   * (~10 µs) on all but one use in COUNTER_RESERVATION.
   */
  incrementCounter(credentialId: Uint8Array, by = 1): number {
    if (!Number.isSafeInteger(by) || by < 1)
      throw new RangeError(`counter increment must be a positive integer, got ${by}`);
    const key = toHex(credentialId);
    const c = this.counterCache.get(key);
    if (!c) return this.firstIncrement(key, credentialId, by);
    c.value += by;
    if (c.value > c.ceiling) {
      if (!this.reservedHere) {
        this.stmt.setMark.run(COUNTERS_RESERVED, Buffer.of(1)); // before the first ceiling reaches the disk
        this.reservedHere = true;
      }
      c.ceiling = c.value + COUNTER_RESERVATION - 1;
      this.stmt.setCounter.run(credentialId, c.ceiling);
    }
    return c.value;
  }

  setCounter(credentialId: Uint8Array, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`counter must be a non-negative integer, got ${value}`);
    this.stmt.setCounter.run(credentialId, value);
    this.counterCache.delete(toHex(credentialId));
  }

  /**
   * A counter's first use in this run (or since it left the cache): one statement reads the row's
   * value (exact, or a ceiling) and reserves the next COUNTER_RESERVATION values above it, where a
   * read and a write were two. At 100,000 credentials every assertion of a walk comes here. (One
   * transaction around this write and the eviction's was slower: BEGIN and COMMIT cost more than
   * the commit they save.)
   */
  private firstIncrement(key: string, credentialId: Uint8Array, by: number): number {
    if (this.counterCache.size >= COUNTER_CACHE_SIZE) this.evictCounter();
    if (!this.reservedHere) {
      this.stmt.setMark.run(COUNTERS_RESERVED, Buffer.of(1)); // before the first ceiling reaches the disk
      this.reservedHere = true;
    }
    const reserve = by + COUNTER_RESERVATION - 1;
    const ceiling = this.stmt.incrementCounter.get(credentialId, reserve)!.value;
    const c = { id: credentialId, value: ceiling - reserve + by, ceiling };
    this.counterCache.set(key, c);
    return c.value;
  }

  /** Drops the oldest cached counter; its exact value is written when it is below its ceiling. */
  private evictCounter(): void {
    const [key, c] = this.counterCache.entries().next().value!;
    if (c.value !== c.ceiling) this.stmt.setCounter.run(c.id, c.value);
    this.counterCache.delete(key);
  }

  private flushCounters(): void {
    // One commit for all of them (up to COUNTER_CACHE_SIZE writes at close).
    const flush = this.db.transaction(() => {
      for (const c of this.counterCache.values()) if (c.value !== c.ceiling) this.stmt.setCounter.run(c.id, c.value);
    });
    translated(this.db.name, () => flush());
    this.counterCache.clear();
    // Every ceiling of this run is now exact; ceilings a crashed run left behind are not (we cannot tell which).
    if (this.reservedHere && !this.reservedAtOpen) this.stmt.deleteMark.run(COUNTERS_RESERVED);
  }

  /**
   * Whether counters read from disk may be ahead of what was handed out: true while a run that
   * reserved counters is open (another process, before this one closes) or after one that did not
   * close cleanly; then a counter can be up to COUNTER_RESERVATION - 1 above the value a relying
   * party last saw. False after clean closes: persisted counters are exact. Values this process
   * handed out itself are always exact.
   */
  countersMayBeAhead(): boolean {
    return this.stmt.getMark.get(COUNTERS_RESERVED) !== undefined;
  }

  getState<T>(key: string): T | undefined {
    const row = this.stmt.getState.get(key);
    if (!row) return undefined;
    checkFormat(row.format, `state "${key}"`);
    const json = unseal(this.recordKey, aad(STATE_AAD, utf8.encode(key)), row.sealed, `state "${key}"`);
    return JSON.parse(utf8.decode(json)) as T;
  }

  setState<T>(key: string, value: T | undefined): void {
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) {
      this.stmt.deleteState.run(key);
      return;
    }
    this.stmt.setState.run(
      key,
      RECORD_FORMAT,
      seal(this.recordKey, aad(STATE_AAD, utf8.encode(key)), utf8.encode(json)),
    );
  }

  getLargeBlobArray(): Uint8Array | undefined {
    const row = this.stmt.getLargeBlob.get();
    if (!row) return undefined;
    checkFormat(row.format, 'large-blob array');
    return unseal(this.recordKey, aad(LARGE_BLOB_AAD, new Uint8Array(0)), row.sealed, 'large-blob array');
  }

  setLargeBlobArray(value: Uint8Array): void {
    this.stmt.setLargeBlob.run(RECORD_FORMAT, seal(this.recordKey, aad(LARGE_BLOB_AAD, new Uint8Array(0)), value));
  }

  putSlot(slot: CredentialSlot): void {
    const { payload } = slot;
    const m: CborMap = new Map();
    m.set(S.flags, encodePayloadFlags(payload));
    m.set(S.alg, payload.alg);
    m.set(S.credProtect, payload.credProtect);
    if (payload.credBlob !== undefined) m.set(S.credBlob, payload.credBlob);
    m.set(S.secret, payload.secret);
    const sealed = seal(this.recordKey, aad(SLOT_AAD, slot.credentialId), encode(m));
    this.stmt.putSlot.run(slot.credentialId, slot.rpIdHash, slot.createdAt, RECORD_FORMAT, sealed);
  }

  getSlot(credentialId: Uint8Array): CredentialSlot | undefined {
    const row = this.stmt.getSlot.get(credentialId);
    if (!row) return undefined;
    checkFormat(row.format, 'credential slot');
    const m = decode(unseal(this.recordKey, aad(SLOT_AAD, credentialId), row.sealed, 'credential slot'));
    if (!isMap(m)) throw new Error('credential slot record is not a CBOR map');
    const rawFlags = m.get(S.flags);
    const flags = typeof rawFlags === 'number' ? decodePayloadFlags(rawFlags) : undefined;
    if (!flags)
      throw new Error(`credential slot has unknown flags ${typeof rawFlags === 'number' ? rawFlags : typeof rawFlags}`);
    const alg = m.get(S.alg) as number;
    if (!ALG_CODES.some(([, a]) => a === alg)) throw new Error(`credential slot has unknown algorithm ${alg}`);
    const slot: CredentialSlot = {
      credentialId,
      rpIdHash: toUint8(row.rp_id_hash),
      createdAt: row.created_at,
      payload: {
        ...flags,
        alg: alg as CredentialSlot['payload']['alg'],
        credProtect: m.get(S.credProtect) as CredProtectLevel,
        secret: m.get(S.secret) as Uint8Array,
      },
    };
    const credBlob = m.get(S.credBlob);
    if (credBlob instanceof Uint8Array) slot.payload.credBlob = credBlob;
    return slot;
  }

  countSlots(): number {
    return this.stmt.countSlots.get()!.n;
  }

  /** Exact values (the cache's, where a counter is cached): every cached counter also has its row. */
  listCounters(): Array<[Uint8Array, number]> {
    return this.db
      .prepare<[], { credential_id: Buffer }>('SELECT credential_id FROM counters')
      .all()
      .map((r) => {
        const id = toUint8(r.credential_id);
        return [id, this.getCounter(id)];
      });
  }

  listStateKeys(): string[] {
    return this.db
      .prepare<[], { key: string }>('SELECT key FROM state ORDER BY key')
      .all()
      .map((r) => r.key);
  }

  listSlots(): CredentialSlot[] {
    return this.db
      .prepare<[], { credential_id: Buffer }>('SELECT credential_id FROM credential_slot')
      .all()
      .map((r) => this.getSlot(toUint8(r.credential_id))!);
  }

  wipe(): void {
    this.counterCache.clear();
    translated(this.db.name, () => this.wipeTx.immediate());
    this.stmt.deleteMark.run(COUNTERS_RESERVED); // no counters, no ceilings
    this.reservedAtOpen = this.reservedHere = false;
  }

  /** Writes exact counters, then closes the database connection (shared with a SqliteVault on it). Idempotent. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.flushCounters(); // on a full disk this fails; the reserved ceilings on disk still hold
    } finally {
      this.db.close();
    }
  }

  private fromRow(row: ResidentRow): ResidentCredential {
    return openResidentRow(this.recordKey, row);
  }
}

function checkFormat(format: number, what: string): void {
  if (format !== RECORD_FORMAT)
    throw new Error(`${what} has record format ${format}, this softkey reads format ${RECORD_FORMAT}`);
}
