/**
 * The platform's side of CTAP 2.1 §12 extensions: building the authenticator extension inputs that
 * need cryptography (hmac-secret §12.5, hmac-secret-mc CTAP 2.2 §12.8) and reading the outputs.
 * Used by tests and by the WebAuthn client (prf over hmac-secret).
 *
 *   const ka = decodeClientPinResponse(await send(encodeClientPinRequest(getKeyAgreementParams(p)))).keyAgreement!;
 *   const s = hmacSecretSession(p, ka);                       // encapsulate: platform key + shared secret
 *   extensions.set('hmac-secret', hmacSecretInput(p, s.keyAgreement, s.sharedSecret, salt1, salt2));
 *   … getAssertion …
 *   const { output1, output2 } = decodeHmacSecretOutput(p, s.sharedSecret, extensionOutputs(authData)!.get('hmac-secret'));
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-hmac-secret-extension
 */
import { concat } from '../encoding/bytes.js';
import type { CborMap, CborValue, Encodable } from '../encoding/cbor.js';
import { extensionsOf, parseAuthenticatorData } from './authenticatorData.js';
import type { CoseKeyMap, PlatformPinUvAuthProtocol } from './pinUvAuthProtocol.js';
import { HmacSecretInputKey as K } from './extensions.js';

export const HMAC_SECRET_SALT_LENGTH = 32;

/** A key agreement with the authenticator for one hmac-secret exchange. */
export interface HmacSecretSession {
  /** The platform's key-agreement COSE_Key, sent as the input's keyAgreement. */
  keyAgreement: Map<number, CborValue>;
  sharedSecret: Uint8Array;
}

/** encapsulate(authenticator key-agreement key) of the protocol (from clientPIN getKeyAgreement). */
export function hmacSecretSession(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
): HmacSecretSession {
  return protocol.encapsulate(authenticatorKey);
}

/**
 * The hmac-secret (getAssertion) or hmac-secret-mc (makeCredential) input:
 * {1: keyAgreement, 2: saltEnc = encrypt(salt1 ‖ salt2?), 3: saltAuth = authenticate(saltEnc), 4: protocol}.
 */
export function hmacSecretInput(
  protocol: PlatformPinUvAuthProtocol,
  platformKeyAgreement: CoseKeyMap,
  sharedSecret: Uint8Array,
  salt1: Uint8Array,
  salt2?: Uint8Array,
): Map<number, Encodable> {
  for (const salt of salt2 ? [salt1, salt2] : [salt1]) {
    if (salt.length !== HMAC_SECRET_SALT_LENGTH)
      throw new RangeError(`an hmac-secret salt is ${HMAC_SECRET_SALT_LENGTH} bytes, got ${salt.length}`);
  }
  const saltEnc = protocol.encrypt(sharedSecret, salt2 ? concat(salt1, salt2) : salt1);
  return new Map<number, Encodable>([
    [K.keyAgreement, platformKeyAgreement],
    [K.saltEnc, saltEnc],
    [K.saltAuth, protocol.authenticate(sharedSecret, saltEnc)],
    [K.pinUvAuthProtocol, protocol.version],
  ]);
}

/** Decrypts an hmac-secret / hmac-secret-mc output into output1 and, for two salts, output2. */
export function decodeHmacSecretOutput(
  protocol: PlatformPinUvAuthProtocol,
  sharedSecret: Uint8Array,
  output: CborValue | undefined,
): { output1: Uint8Array; output2?: Uint8Array } {
  if (!(output instanceof Uint8Array)) throw new TypeError('the hmac-secret output is not a byte string');
  const plain = protocol.decrypt(sharedSecret, output);
  if (!plain || (plain.length !== HMAC_SECRET_SALT_LENGTH && plain.length !== 2 * HMAC_SECRET_SALT_LENGTH)) {
    throw new TypeError('the hmac-secret output does not decrypt to one or two 32-byte values');
  }
  const output1 = plain.slice(0, HMAC_SECRET_SALT_LENGTH);
  return plain.length === HMAC_SECRET_SALT_LENGTH
    ? { output1 }
    : { output1, output2: plain.slice(HMAC_SECRET_SALT_LENGTH) };
}

/** The extension outputs map of an authenticatorData, or undefined when it has none. */
export function extensionOutputs(authData: Uint8Array): CborMap | undefined {
  return extensionsOf(parseAuthenticatorData(authData));
}
