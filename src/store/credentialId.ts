/**
 * Versioned, sealed credential IDs (architecture habit 9). A credential ID carries its own private
 * key, sealed with AES-256-GCM under the device's wrapping key and bound to the RP ID hash, so
 * non-discoverable credentials are unlimited and nothing about them is stored.
 *
 *   credentialId = version (0x01) ‖ nonce (12) ‖ AES-256-GCM(wrapKey, nonce, plaintext, aad = version ‖ rpIdHash)
 *   plaintext    = flags (1) ‖ algCode (1) ‖ credProtect (1) ‖ credBlobLength (1) ‖ credBlob ‖ key secret
 *
 * flags: bit 0 discoverable (such an ID is valid only while the store still holds its record),
 *        bit 1 made through CTAP1/U2F (its rpIdHash is the U2F application parameter).
 * Sizes: ES256 129 bytes (+credBlob), EdDSA 97, RS256 291 (all ≤ 255 for U2F key handles except RS256,
 * which U2F never uses).
 */
import { aesGcmOpen, aesGcmSeal } from '../crypto/aead.js';
import { concat } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';
import type { CredProtectLevel } from './credentialStore.js';

export const CREDENTIAL_ID_VERSION = 0x01;
const NONCE_LENGTH = 12;
/** Never reuse a retired code; a test checks these stay distinct. */
export const ALG_CODES: ReadonlyArray<readonly [number, CredentialAlg]> = [
  [1, CoseAlg.ES256],
  [2, CoseAlg.EdDSA],
  [3, CoseAlg.RS256],
];

export interface CredentialIdPayload {
  discoverable: boolean;
  u2f: boolean;
  alg: CredentialAlg;
  credProtect: CredProtectLevel;
  credBlob?: Uint8Array;
  secret: Uint8Array;
}

export function sealCredentialId(wrapKey: Uint8Array, rpIdHash: Uint8Array, payload: CredentialIdPayload, nonce: Uint8Array): Uint8Array {
  const algCode = ALG_CODES.find(([, a]) => a === payload.alg)?.[0];
  if (algCode === undefined) throw new RangeError(`unsupported algorithm ${payload.alg}`);
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');
  const blob = payload.credBlob ?? new Uint8Array(0);
  if (blob.length > 255) throw new RangeError('credBlob too long');
  const flags = (payload.discoverable ? 1 : 0) | (payload.u2f ? 2 : 0);
  const plaintext = concat(new Uint8Array([flags, algCode, payload.credProtect, blob.length]), blob, payload.secret);
  const header = new Uint8Array([CREDENTIAL_ID_VERSION]);
  return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
}

/** Opens a credential ID made by this device for this rpIdHash; undefined for anything else. */
export function openCredentialId(wrapKey: Uint8Array, rpIdHash: Uint8Array, id: Uint8Array): CredentialIdPayload | undefined {
  if (id.length < 1 + NONCE_LENGTH + 4 + 16 || id[0] !== CREDENTIAL_ID_VERSION) return undefined;
  const plaintext = aesGcmOpen(wrapKey, id.subarray(1, 1 + NONCE_LENGTH), id.subarray(1 + NONCE_LENGTH), concat(id.subarray(0, 1), rpIdHash));
  if (!plaintext || plaintext.length < 4) return undefined;
  const [flags, algCode, credProtect, blobLength] = plaintext as unknown as [number, number, number, number];
  const alg = ALG_CODES.find(([c]) => c === algCode)?.[1];
  if (alg === undefined || credProtect < 1 || credProtect > 3 || plaintext.length < 4 + blobLength) return undefined;
  const payload: CredentialIdPayload = {
    discoverable: (flags & 1) !== 0,
    u2f: (flags & 2) !== 0,
    alg,
    credProtect: credProtect as CredProtectLevel,
    secret: plaintext.slice(4 + blobLength),
  };
  if (blobLength > 0) payload.credBlob = plaintext.slice(4, 4 + blobLength);
  return payload;
}
