/**
 * What the demo RP checks besides @simplewebauthn/server v14, which leaves these WebAuthn L3 steps
 * to the RP (softkey rp-check finds each one missing in an RP that relies on it alone):
 *   - §5.8.1 crossOrigin / §7.1–§7.2 topOrigin: this RP is never embedded in another site, so
 *     clientDataJSON with crossOrigin true or a topOrigin is refused (SimpleWebAuthn reads neither
 *     at registration, and only topOrigin at sign-in);
 *   - §7.1 "perform CBOR decoding on the attestationObject": exactly one CBOR data item (it decodes
 *     the first item and ignores what follows);
 *   - §5.8.5: a credential public key is a key of its alg (ES256 ⇒ EC2 P-256, EdDSA ⇒ OKP Ed25519,
 *     RS256 ⇒ RSA); it does not compare the key's curve with its alg at registration;
 *   - §7.2 backup flags: BE never changes for a credential (§6.1.3); it returns the device type
 *     and leaves the comparison to the RP.
 * A separate program: only its own dependencies.
 */
import { decodeClientDataJSON, decodeCredentialPublicKey, isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/** Why this clientDataJSON is refused, or undefined. */
export function clientDataProblem(clientDataJSON: string): string | undefined {
  const c = decodeClientDataJSON(clientDataJSON) as { crossOrigin?: boolean; topOrigin?: string };
  if (c.crossOrigin === true) {
    return 'clientDataJSON says crossOrigin: true, and this site is never embedded in another (WebAuthn L3 §5.8.1)';
  }
  if (c.topOrigin !== undefined)
    return `clientDataJSON has a topOrigin "${c.topOrigin}", and this site is never embedded in another`;
  return undefined;
}

/** Why this attestationObject is refused, or undefined: bytes after its one CBOR data item. */
export function attestationObjectProblem(attestationObject: string): string | undefined {
  const bytes = isoBase64URL.toBuffer(attestationObject);
  let again: Uint8Array;
  try {
    again = isoCBOR.encode(isoCBOR.decodeFirst(bytes));
  } catch {
    return undefined; // malformed CBOR: SimpleWebAuthn refuses it with its own reason
  }
  return again.length < bytes.length
    ? `attestationObject has ${bytes.length - again.length} bytes after its CBOR data item`
    : undefined;
}

/** COSE alg → the key type (and curve) a key of that alg has (RFC 9053; WebAuthn L3 §5.8.5). */
const KEY_OF_ALG: Record<number, { kty: number; crv?: number }> = {
  [-7]: { kty: 2, crv: 1 },
  [-8]: { kty: 1, crv: 6 },
  [-257]: { kty: 3 },
};

/** Why this credential public key is refused, or undefined. */
export function credentialKeyProblem(publicKey: Uint8Array): string | undefined {
  const key = decodeCredentialPublicKey(publicKey as Uint8Array<ArrayBuffer>) as unknown as Map<number, unknown>;
  const alg = key.get(3) as number;
  const want = KEY_OF_ALG[alg];
  if (!want) return undefined; // an alg this RP did not offer: SimpleWebAuthn refuses it
  if (key.get(1) !== want.kty || (want.crv !== undefined && key.get(-1) !== want.crv)) {
    return `the credential public key (kty ${String(key.get(1))}, crv ${String(key.get(-1))}) is not a key of its alg ${alg}`;
  }
  return undefined;
}
