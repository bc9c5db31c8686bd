/**
 * CTAP 2.1 §6.1.2 authenticatorMakeCredential step 15, "process any extensions that this
 * authenticator supports, ignoring any that it does not support", over the §12 extensions
 * implemented here (credProtect, credBlob, largeBlobKey, minPinLength, hmac-secret) and CTAP 2.2's
 * hmac-secret-mc and thirdPartyPayment. Runs after user presence, before the credential exists;
 * hmac-secret-mc's output needs the new credential ID, so it is added by makeCredentialOutputs.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-makeCred-authnr-alg
 */
import type { MakeCredentialExtensionInputs } from '../../ctap2/requests/extensions.js';
import type { Encodable } from '../../encoding/cbor.js';
import type { CredProtectLevel } from '../../store/credentialStore.js';
import type { Core } from '../core.js';
import { acceptCredBlob, CRED_BLOB } from './credBlob.js';
import { CRED_PROTECT, credProtectLevel } from './credProtect.js';
import { HMAC_SECRET, openHmacSecretInput, type HmacSecretRequest } from './hmacSecret.js';
import { HMAC_SECRET_MC, hmacSecretMcOutput } from './hmacSecretMc.js';
import { newLargeBlobKey } from './largeBlobKey.js';
import { MIN_PIN_LENGTH, minPinLengthOutput } from './minPinLength.js';
import { PIN_COMPLEXITY_POLICY, pinComplexityPolicyOutput } from './pinComplexityPolicy.js';
import { THIRD_PARTY_PAYMENT } from './thirdPartyPayment.js';

/** What the new credential is made with, and the outputs known before it exists. */
export interface MakeCredentialExtensions {
  credProtect: CredProtectLevel;
  credBlob?: Uint8Array;
  hmacSecret: boolean;
  thirdPartyPayment: boolean;
  /** The response's largeBlobKey (0x05), also stored with the credential. */
  largeBlobKey?: Uint8Array;
  hmacSecretMc?: HmacSecretRequest;
  outputs: Map<string, Encodable>;
}

export function processMakeCredentialExtensions(core: Core, inputs: MakeCredentialExtensionInputs | undefined, ctx: { rpId: string; rk: boolean }): MakeCredentialExtensions {
  const e = inputs ?? {};
  const outputs = new Map<string, Encodable>();
  const result: MakeCredentialExtensions = { credProtect: credProtectLevel(e.credProtect), hmacSecret: e.hmacSecret === true, thirdPartyPayment: e.thirdPartyPayment === true, outputs };
  if (e.credProtect !== undefined) outputs.set(CRED_PROTECT, result.credProtect);
  if (e.credBlob !== undefined) {
    const { stored, output } = acceptCredBlob(e.credBlob);
    if (stored) result.credBlob = stored;
    outputs.set(CRED_BLOB, output);
  }
  if (e.largeBlobKey !== undefined) result.largeBlobKey = newLargeBlobKey(core, e.largeBlobKey, ctx.rk);
  if (e.minPinLength === true) {
    const n = minPinLengthOutput(core, ctx.rpId);
    if (n !== undefined) outputs.set(MIN_PIN_LENGTH, n);
  }
  if (result.hmacSecret) outputs.set(HMAC_SECRET, true);
  if (e.hmacSecretMc) result.hmacSecretMc = openHmacSecretInput(core, e.hmacSecretMc);
  if (e.thirdPartyPayment !== undefined) outputs.set(THIRD_PARTY_PAYMENT, result.thirdPartyPayment);
  if (e.pinComplexityPolicy === true && core.config.ctap23) outputs.set(PIN_COMPLEXITY_POLICY, pinComplexityPolicyOutput(core));
  return result;
}

/** Every output, once the credential ID exists. */
export function makeCredentialOutputs(core: Core, ext: MakeCredentialExtensions, credentialId: Uint8Array, uv: boolean): Map<string, Encodable> {
  const outputs = new Map(ext.outputs);
  if (ext.hmacSecretMc) outputs.set(HMAC_SECRET_MC, hmacSecretMcOutput(core, ext.hmacSecretMc, credentialId, uv));
  return outputs;
}
