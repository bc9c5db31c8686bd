/**
 * The attestation object (WebAuthn L3 §6.5 "Attestation", §6.5.4 "Generating an Attestation
 * Object") and attestation conveyance (§5.4.7, §5.1.3 step "If any authenticator returns success").
 */
import { encode, type Encodable } from '../encoding/cbor.js';
import { Flag } from '../ctap2/authenticatorData.js';
import type { MakeCredentialResponse } from '../ctap2/makeCredential.js';

export type AttestationConveyance = 'none' | 'indirect' | 'direct' | 'enterprise';

/** Unknown values are ignored and the default (none) applies (L3 §5.4: enum values are hints). */
export function attestationConveyance(value: string | undefined): AttestationConveyance {
  return value === 'indirect' || value === 'direct' || value === 'enterprise' ? value : 'none';
}

/**
 * How "none" treats the AAGUID. L3 (current text) keeps it and only replaces fmt/attStmt;
 * Level 2 (and Safari, older Chromium) also replaced it with 16 zero bytes. Zeroing changes the
 * authenticatorData bytes, which is harmless here since a "none" statement signs nothing.
 */
export type NoneAttestationAaguid = 'zero' | 'keep';

const AAGUID_OFFSET = 37;

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/**
 * Applies conveyance "none": unless the authenticator already used self attestation (zero AAGUID,
 * fmt "packed", no x5c), fmt becomes "none" and attStmt an empty map; with aaguid 'zero' the AAGUID
 * in the attested credential data is replaced by zeros.
 */
export function anonymize(res: MakeCredentialResponse, aaguid: NoneAttestationAaguid): MakeCredentialResponse {
  const hasAcd = res.authData.length >= AAGUID_OFFSET + 16 && (res.authData[32]! & Flag.AT) !== 0;
  const currentAaguid = hasAcd ? res.authData.subarray(AAGUID_OFFSET, AAGUID_OFFSET + 16) : new Uint8Array(16);
  if (isZero(currentAaguid) && res.fmt === 'packed' && res.attStmt instanceof Map && !res.attStmt.has('x5c'))
    return res;
  let authData = res.authData;
  if (aaguid === 'zero' && hasAcd && !isZero(currentAaguid)) {
    authData = res.authData.slice();
    authData.fill(0, AAGUID_OFFSET, AAGUID_OFFSET + 16);
  }
  return { fmt: 'none', authData, attStmt: new Map() };
}

/** attestationObject = { "fmt": text, "attStmt": map, "authData": bytes } (canonical CBOR). */
export function encodeAttestationObject(res: MakeCredentialResponse): Uint8Array {
  return encode(
    new Map<string, Encodable>([
      ['fmt', res.fmt],
      ['attStmt', res.attStmt],
      ['authData', res.authData],
    ]),
  );
}
