/**
 * Versioned, sealed credential IDs (architecture habit 9). A credential ID carries its own private
 * key, sealed with AES-256-GCM under the device's wrapping key and bound to the RP ID hash, so
 * non-discoverable credentials are unlimited and nothing about them is stored.
 *
 *   credentialId = version (1) ‖ nonce (12) ‖ AES-256-GCM(wrapKey, nonce, plaintext, aad = version ‖ rpIdHash)
 *   plaintext    = flags (1) ‖ algCode (1) ‖ credProtect (1) ‖ credBlobLength (1) ‖ credBlob ‖ key secret
 *
 * flags: bit 0 discoverable (such an ID is valid only while the store still holds its record),
 *        bit 1 made through CTAP1/U2F (its rpIdHash is the U2F application parameter),
 *        bit 2 made with hmac-secret (CTAP 2.1 §12.5; version 0x02 only),
 *        bit 3 a thirdPartyPayment credential (CTAP 2.2 §12.9; version 0x02 only).
 * Versions: 0x01 (bits 0–1 only), 0x02 (bits 0–3) and 0x03 (bits 0–3, written now); 0x01 and 0x02
 * are still opened, never written. Any other flag bit makes the ID unreadable, so a newer format is
 * never half-understood. Version 0x03 seals only the private part of an EC or EdDSA key (d, or the
 * Ed25519 seed) and recomputes the public point when the ID is opened (crypto/credentialKeys.ts);
 * 0x01/0x02 seal the whole compact secret (d ‖ x ‖ y). The trade: opening a v3 ID costs one scalar
 * multiplication (the authenticator remembers opened IDs), and an ID is 64 bytes shorter for ES256,
 * which over CTAPHID is two 64-byte reports fewer per getAssertion (CTAP 2.1 §11.2.4).
 * The CredRandom values of hmac-secret are not in the ID: they are derived from it (see
 * authenticator/extensions/hmacSecret.ts).
 * Sizes (v3): ES256 65 bytes (+credBlob), ES384 81, ES512 99, EdDSA 65, RS256 291 (all ≤ 255 for U2F
 * key handles except RS256, which U2F never uses). Version 0x02: ES256 129, ES384 177, ES512 231, EdDSA 97.
 */
import { aesGcmOpen, aesGcmSeal } from '../crypto/aead.js';
import { privatePartOfSecret, secretOfPrivatePart } from '../crypto/credentialKeys.js';
import { concat } from '../encoding/bytes.js';
import {
  algCode as codeOfAlg,
  algOfCode,
  decodePayloadFlags,
  encodePayloadFlags,
  type CredentialPayload,
} from './credentialPayload.js';

import type { CredProtectLevel } from './credentialStore.js';

export { ALG_CODES } from './credentialPayload.js';

/** The version written; VERSION_FLAGS lists every version opened and the flag bits it defines. */
export const CREDENTIAL_ID_VERSION = 0x03;
const VERSION_FLAGS: ReadonlyMap<number, number> = new Map([
  [0x01, 0b0011],
  [0x02, 0b1111],
  [0x03, 0b1111],
]);
/** From this version on, the sealed secret is the key's private part only. */
const PRIVATE_PART_VERSION = 0x03;
const NONCE_LENGTH = 12;

/** What a credential ID carries: the credential payload (credentialPayload.ts). */
export type CredentialIdPayload = CredentialPayload;

/** Seals a credential ID; `version` is for tests that need an older format (its flags must fit). */
export function sealCredentialId(
  wrapKey: Uint8Array,
  rpIdHash: Uint8Array,
  payload: CredentialIdPayload,
  nonce: Uint8Array,
  version = CREDENTIAL_ID_VERSION,
): Uint8Array {
  const algCode = codeOfAlg(payload.alg);
  if (algCode === undefined) throw new RangeError(`unsupported algorithm ${payload.alg}`);
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');
  const blob = payload.credBlob ?? new Uint8Array(0);
  if (blob.length > 255) throw new RangeError('credBlob too long');
  const knownFlags = VERSION_FLAGS.get(version);
  if (knownFlags === undefined) throw new RangeError(`credential ID version ${version} is not one this device writes`);
  const flags = encodePayloadFlags(payload, knownFlags);
  const secret = version >= PRIVATE_PART_VERSION ? privatePartOfSecret(payload.alg, payload.secret) : payload.secret;
  const plaintext = concat(new Uint8Array([flags, algCode, payload.credProtect, blob.length]), blob, secret);
  const header = new Uint8Array([version]);
  return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
}

/** Opens a credential ID made by this device for this rpIdHash; undefined for anything else. */
export function openCredentialId(
  wrapKey: Uint8Array,
  rpIdHash: Uint8Array,
  id: Uint8Array,
): CredentialIdPayload | undefined {
  const knownFlags = VERSION_FLAGS.get(id[0]!);
  if (id.length < 1 + NONCE_LENGTH + 4 + 16 || knownFlags === undefined) return undefined;
  const plaintext = aesGcmOpen(
    wrapKey,
    id.subarray(1, 1 + NONCE_LENGTH),
    id.subarray(1 + NONCE_LENGTH),
    concat(id.subarray(0, 1), rpIdHash),
  );
  if (!plaintext || plaintext.length < 4) return undefined;
  const [flags, algCode, credProtect, blobLength] = plaintext as unknown as [number, number, number, number];
  const alg = algOfCode(algCode);
  const flagFields = decodePayloadFlags(flags, knownFlags);
  if (alg === undefined || !flagFields || credProtect < 1 || credProtect > 3 || plaintext.length < 4 + blobLength)
    return undefined;
  const sealed = plaintext.slice(4 + blobLength);
  const secret = id[0]! >= PRIVATE_PART_VERSION ? secretOfPrivatePart(alg, sealed) : sealed;
  if (secret === undefined) return undefined;
  const payload: CredentialIdPayload = {
    ...flagFields,
    alg,
    credProtect: credProtect as CredProtectLevel,
    secret,
  };
  if (blobLength > 0) payload.credBlob = plaintext.slice(4, 4 + blobLength);
  return payload;
}
