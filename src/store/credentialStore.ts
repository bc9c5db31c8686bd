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

export interface CredentialStore {
  /** Stores a discoverable credential, replacing any with the same (rpId, userId). Returns the replaced ID. */
  putResident(cred: ResidentCredential): Uint8Array | undefined;
  getResident(credentialId: Uint8Array): ResidentCredential | undefined;
  /** Discoverable credentials of one RP, newest first. */
  listResident(rpId: string): ResidentCredential[];
  /** Every discoverable credential, newest first. */
  listAllResident(): ResidentCredential[];
  listRps(): RpSummary[];
  countResident(): number;
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
