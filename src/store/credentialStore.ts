/**
 * The credential store port: what the authenticator persists. Private keys never live here in
 * plaintext: a credential's key is sealed inside its credential ID (see credentialId.ts).
 * Every write a response depends on is committed before the method returns.
 */
import type { CredentialSlot } from './credentialSlot.js';

export type CredProtectLevel = 1 | 2 | 3;

export interface ResidentCredential {
  /** The (sealed) credential ID; primary key. */
  credentialId: Uint8Array;
  rpId: string;
  rpName?: string;
  userId: Uint8Array;
  userName?: string;
  userDisplayName?: string;
  /** COSE algorithm identifier (-7, -8, -257). */
  alg: number;
  /** COSE_Key encoding of the public key. */
  publicKey: Uint8Array;
  credProtect: CredProtectLevel;
  credBlob?: Uint8Array;
  largeBlobKey?: Uint8Array;
  hmacSecret?: boolean;
  thirdPartyPayment?: boolean;
  /** Milliseconds since epoch (wall clock, for display). */
  createdAt: number;
}

export interface RpSummary {
  rpId: string;
  rpName?: string;
  credentialCount: number;
}

/**
 * Which of one RP's discoverable credentials a lookup sees: those whose credProtect level is at most
 * maxCredProtect (CTAP 2.1 §12.1: 1 without user verification, 3 with it).
 */
export interface ResidentSelection {
  rpIdHash: Uint8Array;
  maxCredProtect: CredProtectLevel;
}

/** One step of a newest-first walk over a selection: the credential, and where the walk stands. */
export interface ResidentStep {
  credential: ResidentCredential;
  /** Opaque; give it back to nextResident for the next older credential. */
  position: number;
}

/**
 * Stores are built for many credentials of one RP (100,000): counts are kept, not counted; walks
 * are cursors (one credential found and unsealed per step), not lists.
 */
export interface CredentialStore {
  /** Stores a discoverable credential, replacing any with the same (rpId, userId). Returns the replaced ID. */
  putResident(cred: ResidentCredential): Uint8Array | undefined;
  /** putResident for each, in order, in one transaction (imports, benchmarks). */
  putResidents(creds: Iterable<ResidentCredential>): void;
  getResident(credentialId: Uint8Array): ResidentCredential | undefined;
  /** The ID of the discoverable credential of (RP, user), if any: the replacement rule's lookup. */
  findResident(rpIdHash: Uint8Array, userId: Uint8Array): Uint8Array | undefined;
  /** How many credentials `selection` covers (kept, not counted). */
  countResidentOf(selection: ResidentSelection): number;
  /**
   * The newest credential of `selection` made before the one at `after` (the newest of all without
   * it). Credentials stored after the walk began are never reached; deleted ones are skipped.
   */
  nextResident(selection: ResidentSelection, after?: number): ResidentStep | undefined;
  /** Discoverable credentials of one RP, newest first (every one unsealed: for listings, not lookups). */
  listResident(rpId: string): ResidentCredential[];
  /** Every discoverable credential, newest first. */
  listAllResident(): ResidentCredential[];
  /** Every RP with discoverable credentials, in the order of its oldest one. */
  listRps(): RpSummary[];
  /** How many discoverable credentials (kept, not counted). */
  countResident(): number;
  /**
   * Changes with every discoverable credential stored, deleted or updated, and never takes an
   * earlier value again on the same store (wipe included): getInfo's encCredStoreState.
   */
  residentGeneration(): number;
  deleteResident(credentialId: Uint8Array): boolean;
  updateUser(credentialId: Uint8Array, user: { id: Uint8Array; name?: string; displayName?: string }): boolean;

  /** The signature counter of any credential (resident or not); 0 when never used. */
  getCounter(credentialId: Uint8Array): number;
  /** Increments and persists the counter by `by` (≥1); returns the new value. */
  incrementCounter(credentialId: Uint8Array, by?: number): number;
  /** Sets the counter (control API); never used by the authenticator to go backwards. */
  setCounter(credentialId: Uint8Array, value: number): void;
  /**
   * Stores that persist a reserved ceiling instead of every counter value (SqliteStore): whether
   * a counter read from disk may be ahead of the value last handed out. Absent: always exact.
   */
  countersMayBeAhead?(): boolean;

  /** Small persistent device state (PIN retries, settings), JSON-serialisable values. */
  getState<T>(key: string): T | undefined;
  setState<T>(key: string, value: T | undefined): void;

  /** Serialized large-blob array (CTAP 2.1 §6.10), undefined when never written. */
  getLargeBlobArray(): Uint8Array | undefined;
  setLargeBlobArray(value: Uint8Array): void;

  /**
   * Credential slots (credentialSlot.ts), for profiles where every credential is stored. A slot is
   * freed with its discoverable credential (deleteResident, or replaced by putResident) and by wipe.
   */
  putSlot(slot: CredentialSlot): void;
  getSlot(credentialId: Uint8Array): CredentialSlot | undefined;
  countSlots(): number;

  /** Enumeration for a whole-key export (snapshot.ts): every counter, state key and slot. */
  listCounters(): Array<[credentialId: Uint8Array, value: number]>;
  listStateKeys(): string[];
  listSlots(): CredentialSlot[];

  /** authenticatorReset: forget all credentials, slots, counters, state and large blobs. */
  wipe(): void;
  close(): void;
}
