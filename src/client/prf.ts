/**
 * WebAuthn L3 §10.1.4 "Pseudo-random function extension (prf)", carried by CTAP 2.1 §12.5
 * hmac-secret (getAssertion) and CTAP 2.2 §12.8 hmac-secret-mc (makeCredential): the platform's side.
 *
 *   salt        = SHA-256(UTF8("WebAuthn PRF") ‖ 0x00 ‖ input)          (L3 §10.1.4)
 *   input       = { 1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol }
 *   saltEnc     = encrypt(sharedSecret, salt1 ‖ salt2?)
 *   saltAuth    = authenticate(sharedSecret, saltEnc)
 *   output      = decrypt(sharedSecret, authData extension output) → first 32 bytes ‖ second 32 bytes?
 */
import { sha256 } from '../crypto/hash.js';
import { concat, utf8 } from '../encoding/bytes.js';
import type { Encodable } from '../encoding/cbor.js';
import type { SharedSecret } from './clientPin.js';
import type { AuthenticationExtensionsPRFValues } from './json.js';

const PRF_CONTEXT = concat(utf8.encode('WebAuthn PRF'), new Uint8Array([0]));

/** The hmac-secret salt for one PRF input. */
export function prfSalt(input: Uint8Array): Uint8Array {
  return sha256(PRF_CONTEXT, input);
}

/** The salts for PRF values: salt1, and salt2 when `second` is present. */
export function prfSalts(values: AuthenticationExtensionsPRFValues): Uint8Array[] {
  return values.second === undefined ? [prfSalt(values.first)] : [prfSalt(values.first), prfSalt(values.second)];
}

/** The hmac-secret (or hmac-secret-mc) authenticator input for `salts` under `secret`. */
export function hmacSecretInput(secret: SharedSecret, salts: Uint8Array[]): Map<number, Encodable> {
  const saltEnc = secret.protocol.encrypt(secret.sharedSecret, concat(...salts));
  return new Map<number, Encodable>([
    [1, secret.keyAgreement],
    [2, saltEnc],
    [3, secret.protocol.authenticate(secret.sharedSecret, saltEnc)],
    [4, secret.protocol.version],
  ]);
}

/** The PRF results from the authenticator's encrypted output (undefined when it does not decrypt). */
export function prfResults(
  secret: SharedSecret,
  output: unknown,
  saltCount: number,
): AuthenticationExtensionsPRFValues | undefined {
  if (!(output instanceof Uint8Array)) return undefined;
  const plain = secret.protocol.decrypt(secret.sharedSecret, output);
  if (!plain || plain.length !== 32 * saltCount) return undefined;
  return saltCount === 2 ? { first: plain.slice(0, 32), second: plain.slice(32, 64) } : { first: plain.slice(0, 32) };
}
