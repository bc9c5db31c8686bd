/**
 * The control API's key handling for the composition root: private keys given as JSON, turned
 * into credential keys by src/crypto (which src/control may not import). The control API's own
 * composition around a device is src/control/deviceControl.ts.
 */
import { importCredentialPrivateKey } from '../crypto/importKey.js';
import { pkcs8OfSecret } from '../crypto/credentialKeys.js';
import * as b64u from '../encoding/base64url.js';
import { fromHex } from '../encoding/bytes.js';
import { ControlError, type PrivateKeyJson } from '../control/controller.js';
import type { KeyCodecs } from '../control/deviceControl.js';

export { Controller, ControlError } from '../control/controller.js';
export type { AddCredentialInput, CredentialInfo, ControlEvent, CredentialEventJson } from '../control/controller.js';
export type { FaultPlan } from '../control/faults.js';
export { WRONG_ANSWERS, type WrongAnswerInfo } from '../control/wrongAnswers.js';
export type { Prompt } from '../control/presence.js';
export { listCredentials, type CredentialsListing } from '../control/credentialsList.js';

function bytesOf(text: string, what: string): Uint8Array {
  if (/^([0-9a-f]{2})+$/i.test(text) && text.length === 64) return fromHex(text);
  try {
    return b64u.decode(text);
  } catch {
    throw new ControlError(`${what} must be hex or base64url`);
  }
}

/** A private key given as JSON (PKCS#8 PEM or base64url DER, JWK, or a P-256 scalar in hex/base64url). */
function importPrivateKeyJson(input: PrivateKeyJson) {
  if ('pkcs8' in input && typeof input.pkcs8 === 'string') {
    return importCredentialPrivateKey({
      pkcs8: input.pkcs8.includes('-----BEGIN') ? input.pkcs8 : bytesOf(input.pkcs8, 'pkcs8'),
    });
  }
  if ('jwk' in input && typeof input.jwk === 'object' && input.jwk !== null)
    return importCredentialPrivateKey({ jwk: input.jwk });
  if ('p256Scalar' in input && typeof input.p256Scalar === 'string')
    return importCredentialPrivateKey({ p256Scalar: bytesOf(input.p256Scalar, 'p256Scalar') });
  throw new ControlError('privateKey must be { pkcs8 } or { jwk } or { p256Scalar }');
}

/** The Controller's key codecs: JSON private keys in, PKCS#8 out. */
export const CONTROL_KEY_CODECS: KeyCodecs = {
  importPrivateKey: importPrivateKeyJson,
  exportPrivateKey: pkcs8OfSecret,
};
