/**
 * CTAP 2.2 §12.8 HMAC Secret MakeCredential Extension (hmac-secret-mc): the hmac-secret salts in
 * makeCredential, so a new credential's PRF values come back with it. The input is the
 * getAssertion input of hmac-secret (§12.5), sent together with "hmac-secret": true (the request
 * decoder refuses it alone: CTAP2_ERR_MISSING_PARAMETER); the output, under "hmac-secret-mc" in the
 * makeCredential authenticator data, is what getAssertion would answer for the same salts and the
 * same user verification state.
 * https://fidoalliance.org/specs/fido-v2.2-ps-20250714/fido-client-to-authenticator-protocol-v2.2-ps-20250714.html#sctn-hmac-secret-make-cred-extension
 */
import { decodeHmacSecretInput, type HmacSecretInput } from '../../ctap2/extensions.js';
import { CtapError, Status } from '../../ctap2/status.js';
import type { Core } from '../core.js';
import type { ExtensionDescriptor } from './descriptor.js';
import { HMAC_SECRET, hmacSecretOutput, openHmacSecretInput, type HmacSecretRequest } from './hmacSecret.js';

export const HMAC_SECRET_MC = 'hmac-secret-mc';

/** The output for the credential just made (its CredRandom values exist from now on). */
export function hmacSecretMcOutput(
  core: Core,
  request: HmacSecretRequest,
  credentialId: Uint8Array,
  uv: boolean,
): Uint8Array {
  return hmacSecretOutput(core, request, credentialId, uv);
}

/** makeCredential "hmac-secret-mc": the hmac-secret salts, answered for the new credential. */
export const hmacSecretMc: ExtensionDescriptor<HmacSecretInput> = {
  id: HMAC_SECRET_MC,
  decodeMakeCredentialInput: (f) => {
    const input = decodeHmacSecretInput(f.map.get(HMAC_SECRET_MC)!, HMAC_SECRET_MC);
    // CTAP 2.2 §12.8: hmac-secret-mc is sent together with "hmac-secret": true.
    if (f.map.get(HMAC_SECRET) !== true)
      throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'hmac-secret-mc without "hmac-secret": true');
    return input;
  },
  onMakeCredential: (core, input) => {
    const request = openHmacSecretInput(core, input);
    return { outputFor: (credentialId, uv) => hmacSecretMcOutput(core, request, credentialId, uv) };
  },
};
