/**
 * Slot credentials: for profiles where every credential, discoverable or not, occupies one stored
 * slot (the badge of seed 003: one secure-element key slot per credential, 26 of them, credential
 * IDs of at most 64 bytes). Such a credential's ID is a random handle; its payload (the same fields a
 * sealed credential ID carries, see credentialId.ts) lives in the store's slot table.
 *
 *   handle = SLOT_HANDLE_VERSION (1) ‖ random (63)     — 64 bytes, FIDO2_CRED_ID_LEN of the badge
 *
 * The version byte never collides with a sealed ID's (0x01, 0x02), so a device reads both kinds
 * whatever profile made them.
 */
import type { CredentialIdPayload } from './credentialId.js';

export const SLOT_HANDLE_VERSION = 0x10;
export const SLOT_HANDLE_LENGTH = 64;

export interface CredentialSlot {
  /** The handle: the credential ID the relying party sees; primary key. */
  credentialId: Uint8Array;
  /** The RP ID hash the credential is bound to (an ID presented for another RP does not open). */
  rpIdHash: Uint8Array;
  payload: CredentialIdPayload;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A new handle from `random` (63 bytes). */
export function slotHandle(random: Uint8Array): Uint8Array {
  if (random.length !== SLOT_HANDLE_LENGTH - 1)
    throw new RangeError(`a slot handle takes ${SLOT_HANDLE_LENGTH - 1} random bytes`);
  const id = new Uint8Array(SLOT_HANDLE_LENGTH);
  id[0] = SLOT_HANDLE_VERSION;
  id.set(random, 1);
  return id;
}

export function isSlotHandle(id: Uint8Array): boolean {
  return id.length === SLOT_HANDLE_LENGTH && id[0] === SLOT_HANDLE_VERSION;
}
