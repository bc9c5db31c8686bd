/**
 * Encryption at rest for the SQLite store and vault. Every sealed column holds
 *
 *   sealed = nonce (12, fresh random per write) ‖ AES-256-GCM(key, nonce, plaintext, aad) ‖ tag (16)
 *
 * The keys are derived from the 32-byte master key (master.key) with HKDF-SHA-256, one per purpose,
 * so a record sealed for one table can never be opened as another. The associated data binds each
 * value to its row (credential ID, state key, secret name), so sealed values cannot be swapped
 * between rows without detection.
 */
import { aesGcmOpen, aesGcmSeal, randomBytes } from '../crypto/aead.js';
import { hkdfSha256 } from '../crypto/hash.js';
import { concat, utf8 } from '../encoding/bytes.js';

export const MASTER_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

export interface StoreKeys {
  /** Seals resident credential records, state values, the large-blob array and the key check. */
  recordKey: Uint8Array;
  /** Seals vault secrets. */
  vaultKey: Uint8Array;
  /** Keys the clear lookup columns that stand in for private values (residentRecord.ts user_key). */
  indexKey: Uint8Array;
}

export function deriveStoreKeys(masterKey: Uint8Array): StoreKeys {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_LENGTH) {
    throw new TypeError(`master key must be ${MASTER_KEY_LENGTH} bytes`);
  }
  const salt = new Uint8Array(0);
  return {
    recordKey: hkdfSha256(masterKey, salt, utf8.encode('softkey store record key v1'), 32),
    vaultKey: hkdfSha256(masterKey, salt, utf8.encode('softkey vault key v1'), 32),
    indexKey: hkdfSha256(masterKey, salt, utf8.encode('softkey store index key v1'), 32),
  };
}

/** Thrown when a sealed value does not decrypt: the wrong master.key, or a damaged database. */
export class StoreDecryptError extends Error {
  override name = 'StoreDecryptError';
}

export function seal(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_LENGTH);
  return concat(nonce, aesGcmSeal(key, nonce, plaintext, aad));
}

/** Opens a sealed value; `what` names it in the error ("resident credential record", …). */
export function unseal(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array, what: string): Uint8Array {
  const plaintext =
    sealed.length >= NONCE_LENGTH + TAG_LENGTH
      ? aesGcmOpen(key, sealed.subarray(0, NONCE_LENGTH), sealed.subarray(NONCE_LENGTH), aad)
      : undefined;
  if (!plaintext) {
    throw new StoreDecryptError(
      `cannot decrypt ${what}: the database is damaged or was written under another master.key`,
    );
  }
  return plaintext;
}

/** Associated data: a purpose label (with the record format version), a zero byte, the row's identifying bytes. */
export function aad(label: string, row: Uint8Array): Uint8Array {
  return concat(utf8.encode(label), new Uint8Array([0]), row);
}
