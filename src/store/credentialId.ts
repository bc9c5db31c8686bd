/**
 * Versioned, sealed credential IDs (architecture habit 9): nothing about a non-discoverable
 * credential is stored, so there is always room. Two kinds, one layout:
 *
 *   credentialId = version (1) ‖ nonce (12) ‖ AES-256-GCM(wrapKey, nonce, plaintext, aad = version ‖ rpIdHash)
 *   plaintext    = flags (1) ‖ algCode (1) ‖ credProtect (1) ‖ credBlobLength (1) ‖ credBlob [‖ key secret]
 *
 * Version 0x04 (written for ES256, ES384, ES512 and EdDSA keys the device makes itself): the key is
 * NOT in the ID; it is derived (crypto/credentialKeys.ts deriveCredentialKey) from the device's
 * derivation key with
 *   info = "softkey credential key v4" ‖ 0x00 ‖ version ‖ nonce ‖ rpIdHash ‖ algCode
 * so the ID is a nonce and a MAC over the credential's options (YubiKey's and Solo's key handles
 * are built the same way). The derivation key is HKDF-SHA-256 of the vault secret
 * {@link SECRET_KEY_SEED}, under a label of its own (never the AES wrapping key).
 * Versions 0x01–0x03 carry the key secret sealed in the ID: 0x03 (still written for RS256 keys and
 * for keys given from outside, importCredential, which cannot be derived) seals only the private
 * part of an EC or EdDSA key (d, or the Ed25519 seed) and recomputes the public point on open;
 * 0x01/0x02 seal the whole compact secret (d ‖ x ‖ y). 0x01 and 0x02 are still opened, never written.
 *
 * The trade of 0x04: opening an ID costs an HKDF and one scalar multiplication (as 0x03's point
 * recomputation did; the credential-ID port caches opened IDs), and an ES256 ID is 33 bytes instead
 * of 65 (129 for 0x02): over CTAPHID a getAssertion request and response each need one 64-byte
 * report fewer (CTAP 2.1 §11.2.4), and over U2F the key handle is 33 bytes. A v4 ID holds no key, so
 * it is worth nothing without the device's key seed, and the same ID always gives the same key.
 *
 * flags: bit 0 discoverable (such an ID is valid only while the store still holds its record),
 *        bit 1 made through CTAP1/U2F (its rpIdHash is the U2F application parameter),
 *        bit 2 made with hmac-secret (CTAP 2.1 §12.5; versions 0x02–0x04),
 *        bit 3 a thirdPartyPayment credential (CTAP 2.2 §12.9; versions 0x02–0x04).
 * Any other flag bit makes the ID unreadable, so a newer format is never half-understood.
 * The CredRandom values of hmac-secret are not in the ID: they are derived from it (see
 * authenticator/extensions/hmacSecret.ts).
 * Sizes (v4, + credBlob): ES256, ES384, ES512 and EdDSA 33 bytes. v3: ES256 65, ES384 81, ES512 99,
 * EdDSA 65, RS256 291 (all ≤ 255 for U2F key handles except RS256, which U2F never uses).
 * v2: ES256 129, ES384 177, ES512 231, EdDSA 97.
 */
import { aesGcmOpen, aesGcmSeal } from '../crypto/aead.js';
import {
  deriveCredentialKey,
  EC_GROUP_ORDERS,
  privatePartOfSecret,
  secretOfPrivatePart,
  type CredentialKeyPair,
} from '../crypto/credentialKeys.js';
import { hkdfSha256 } from '../crypto/hash.js';
import { concat, utf8 } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';
import {
  algCode as codeOfAlg,
  algOfCode,
  decodePayloadFlags,
  encodePayloadFlags,
  type CredentialPayload,
} from './credentialPayload.js';

import type { CredProtectLevel } from './credentialStore.js';

export { ALG_CODES } from './credentialPayload.js';

/** The version written for a key the ID must carry (RS256, imported keys); VERSION_FLAGS lists every version opened and its flag bits. */
export const CREDENTIAL_ID_VERSION = 0x03;
/** The version written for keys the device makes itself: derived, not carried ({@link isDerivable}). */
export const DERIVED_CREDENTIAL_ID_VERSION = 0x04;
const VERSION_FLAGS: ReadonlyMap<number, number> = new Map([
  [0x01, 0b0011],
  [0x02, 0b1111],
  [0x03, 0b1111],
  [0x04, 0b1111],
]);
/** From this version on, the sealed secret is the key's private part only. */
const PRIVATE_PART_VERSION = 0x03;
const NONCE_LENGTH = 12;

/** What a credential ID carries: the credential payload (credentialPayload.ts). */
export type CredentialIdPayload = CredentialPayload;
/** A new credential's payload before it has a key (version 0x04 derives the key). */
export type CredentialOptions = Omit<CredentialPayload, 'secret'>;

/** The two keys of sealed IDs: AES-256-GCM (every version) and key derivation (version 0x04). */
export interface CredentialIdKeys {
  wrapKey: Uint8Array;
  derivationKey: Uint8Array;
}

/** Vault name of the secret the derivation key of version 0x04 comes from. */
export const SECRET_KEY_SEED = 'credential-key-seed';
const DERIVATION_KEY_LABEL = utf8.encode('softkey credential derivation key v4');
const KEY_INFO_LABEL = utf8.encode('softkey credential key v4\0');

/** The derivation key of version 0x04 IDs, from the vault's key seed: computed once per device start. */
export function derivationKeyOf(seed: Uint8Array): Uint8Array {
  return hkdfSha256(seed, new Uint8Array(0), DERIVATION_KEY_LABEL, 32);
}

/** Keys of these algorithms are derived (version 0x04); others (RS256) are generated and sealed (0x03). */
export function isDerivable(alg: CredentialAlg): boolean {
  return alg === CoseAlg.EdDSA || EC_GROUP_ORDERS.has(alg);
}

function derivedKey(
  derivationKey: Uint8Array,
  header: Uint8Array,
  nonce: Uint8Array,
  rpIdHash: Uint8Array,
  alg: CredentialAlg,
  algCode: number,
): CredentialKeyPair {
  const info = concat(KEY_INFO_LABEL, header, nonce, rpIdHash, new Uint8Array([algCode]));
  return deriveCredentialKey(alg, derivationKey, info);
}

/**
 * A new credential of an algorithm {@link isDerivable} accepts: its version 0x04 ID and the key
 * derived for it (the same key {@link openCredentialId} derives again).
 */
export function sealDerivedCredentialId(
  keys: CredentialIdKeys,
  rpIdHash: Uint8Array,
  options: CredentialOptions,
  nonce: Uint8Array,
): { id: Uint8Array; key: CredentialKeyPair } {
  const algCode = codeOfAlg(options.alg);
  if (algCode === undefined || !isDerivable(options.alg)) throw new RangeError(`${options.alg} keys are not derived`);
  const version = DERIVED_CREDENTIAL_ID_VERSION;
  const id = seal(keys.wrapKey, rpIdHash, version, VERSION_FLAGS.get(version), algCode, options, nonce, EMPTY);
  return { id, key: derivedKey(keys.derivationKey, id.subarray(0, 1), nonce, rpIdHash, options.alg, algCode) };
}

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
  const knownFlags = version === DERIVED_CREDENTIAL_ID_VERSION ? undefined : VERSION_FLAGS.get(version);
  const secret = version >= PRIVATE_PART_VERSION ? privatePartOfSecret(payload.alg, payload.secret) : payload.secret;
  return seal(wrapKey, rpIdHash, version, knownFlags, algCode, payload, nonce, secret);
}

const EMPTY = new Uint8Array(0);

/**
 * The one layout every version writes: version ‖ nonce ‖ AES-256-GCM(flags ‖ algCode ‖ credProtect ‖
 * credBlobLength ‖ credBlob ‖ key secret, aad = version ‖ rpIdHash); version 0x04's key secret is empty.
 * `knownFlags` undefined: a version this device does not write.
 */
function seal(
  wrapKey: Uint8Array,
  rpIdHash: Uint8Array,
  version: number,
  knownFlags: number | undefined,
  algCode: number,
  fields: CredentialOptions,
  nonce: Uint8Array,
  secret: Uint8Array,
): Uint8Array {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');
  const blob = fields.credBlob ?? EMPTY;
  if (blob.length > 255) throw new RangeError('credBlob too long');
  if (knownFlags === undefined) throw new RangeError(`credential ID version ${version} is not one this device writes`);
  const flags = encodePayloadFlags(fields, knownFlags);
  const plaintext = concat(new Uint8Array([flags, algCode, fields.credProtect, blob.length]), blob, secret);
  const header = new Uint8Array([version]);
  return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
}

/** Opens a credential ID made by this device for this rpIdHash; undefined for anything else. */
export function openCredentialId(
  keys: CredentialIdKeys,
  rpIdHash: Uint8Array,
  id: Uint8Array,
): CredentialIdPayload | undefined {
  const version = id[0]!;
  const knownFlags = VERSION_FLAGS.get(version);
  if (id.length < 1 + NONCE_LENGTH + 4 + 16 || knownFlags === undefined) return undefined;
  const nonce = id.subarray(1, 1 + NONCE_LENGTH);
  const plaintext = aesGcmOpen(keys.wrapKey, nonce, id.subarray(1 + NONCE_LENGTH), concat(id.subarray(0, 1), rpIdHash));
  if (!plaintext || plaintext.length < 4) return undefined;
  const [flags, algCode, credProtect, blobLength] = plaintext as unknown as [number, number, number, number];
  const alg = algOfCode(algCode);
  const flagFields = decodePayloadFlags(flags, knownFlags);
  if (alg === undefined || !flagFields || credProtect < 1 || credProtect > 3 || plaintext.length < 4 + blobLength)
    return undefined;
  let secret: Uint8Array | undefined;
  if (version === DERIVED_CREDENTIAL_ID_VERSION) {
    if (plaintext.length !== 4 + blobLength || !isDerivable(alg)) return undefined;
    secret = derivedKey(keys.derivationKey, id.subarray(0, 1), nonce, rpIdHash, alg, algCode).secret;
  } else {
    const sealed = plaintext.slice(4 + blobLength);
    secret = version >= PRIVATE_PART_VERSION ? secretOfPrivatePart(alg, sealed) : sealed;
  }
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
