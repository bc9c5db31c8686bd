/**
 * CTAP 2.1 §6.2.2 authenticatorGetAssertion step 10, "process any extensions that this
 * authenticator supports, ignoring any that it does not support": credBlob (getCredBlob),
 * largeBlobKey, hmac-secret and CTAP 2.2's thirdPartyPayment. The inputs are checked once (after
 * user presence, as the step order says); the outputs are made per credential, for getAssertion
 * and for each getNextAssertion (§6.3) that follows it.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-getAssert-authnr-alg
 */
import type { GetAssertionExtensionInputs } from '../../ctap2/requests/extensions.js';
import { CtapError, Status } from '../../ctap2/status.js';
import type { Encodable } from '../../encoding/cbor.js';
import type { Core, ResolvedCredential } from '../core.js';
import { CRED_BLOB, credBlobOutput } from './credBlob.js';
import { HMAC_SECRET, hmacSecretOutput, openHmacSecretInput, type HmacSecretRequest } from './hmacSecret.js';
import { checkLargeBlobKeyInput, largeBlobKeyOf } from './largeBlobKey.js';
import { isPaymentCredential, THIRD_PARTY_PAYMENT } from './thirdPartyPayment.js';

/** The checked inputs of one getAssertion, kept for its getNextAssertion calls. */
export interface AssertionExtensions {
  getCredBlob: boolean;
  largeBlobKey: boolean;
  hmacSecret?: HmacSecretRequest;
  thirdPartyPayment: boolean;
}

export function processGetAssertionExtensions(core: Core, inputs: GetAssertionExtensionInputs | undefined, up: boolean): AssertionExtensions | undefined {
  if (!inputs) return undefined;
  const ext: AssertionExtensions = { getCredBlob: inputs.getCredBlob === true, largeBlobKey: inputs.largeBlobKey !== undefined, thirdPartyPayment: inputs.thirdPartyPayment === true };
  if (inputs.largeBlobKey !== undefined) checkLargeBlobKeyInput(inputs.largeBlobKey);
  if (inputs.hmacSecret) {
    // §12.5: hmac-secret needs user presence.
    if (!up) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'hmac-secret with up=false');
    ext.hmacSecret = openHmacSecretInput(core, inputs.hmacSecret);
  }
  return ext;
}

/** The authenticator-data extension outputs and the response's largeBlobKey for one credential. */
export function assertionOutputs(core: Core, ext: AssertionExtensions | undefined, cred: ResolvedCredential, uv: boolean): { extensions: Map<string, Encodable>; largeBlobKey?: Uint8Array } {
  const extensions = new Map<string, Encodable>();
  if (!ext) return { extensions };
  if (ext.getCredBlob) extensions.set(CRED_BLOB, credBlobOutput(cred));
  // A credential made without hmac-secret has no CredRandom: no output for it.
  if (ext.hmacSecret && cred.payload.hmacSecret) extensions.set(HMAC_SECRET, hmacSecretOutput(core, ext.hmacSecret, cred.id, uv));
  if (ext.thirdPartyPayment) extensions.set(THIRD_PARTY_PAYMENT, isPaymentCredential(cred));
  const out: { extensions: Map<string, Encodable>; largeBlobKey?: Uint8Array } = { extensions };
  const key = ext.largeBlobKey ? largeBlobKeyOf(cred) : undefined;
  if (key) out.largeBlobKey = key;
  return out;
}
