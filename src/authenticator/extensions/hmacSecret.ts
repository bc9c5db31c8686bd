/**
 * CTAP 2.1 §12.5 HMAC Secret Extension (hmac-secret).
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-hmac-secret-extension
 *
 *   makeCredential: "hmac-secret": true → the credential gets CredRandomWithUV and
 *                   CredRandomWithoutUV; output "hmac-secret": true.
 *   getAssertion:   {keyAgreement, saltEnc, saltAuth, pinUvAuthProtocol?} → output
 *                   encrypt(sharedSecret, HMAC-SHA-256(CredRandom, salt1) ‖ HMAC-SHA-256(CredRandom, salt2)?),
 *                   CredRandomWithUV when user verification was performed, else CredRandomWithoutUV.
 *
 * Where the CredRandom values live: they are *derived*, not stored, for every credential alike:
 *
 *   K                   = HKDF-SHA-256(ikm = credential wrapping key, salt = "", info = "softkey hmac-secret CredRandom v1")
 *   CredRandomWithUV    = HMAC-SHA-256(K, "CredRandomWithUV"    ‖ 0x00 ‖ credentialId)
 *   CredRandomWithoutUV = HMAC-SHA-256(K, "CredRandomWithoutUV" ‖ 0x00 ‖ credentialId)
 *
 * A non-resident credential has nowhere else to keep them but its ID, and sealing 64 more bytes into
 * every ID would make U2F-sized key handles impossible; the derivation keeps the ID short. The
 * credential ID is unique (a random nonce under AES-GCM) and authenticated (only this device's
 * wrapping key opens it), so the values are per credential and unpredictable without the wrapping
 * key, which lives in the vault. authenticatorReset replaces the wrapping key, so every CredRandom
 * goes with it, as the spec requires. Whether a credential was made with hmac-secret is a flag
 * sealed in its ID (version 0x02, store/credentialId.ts): a credential made without it answers no
 * hmac-secret output.
 */
import { hkdfSha256, hmacSha256 } from '../../crypto/hash.js';
import type { PinUvAuthProtocol } from '../../ctap2/pinUvAuthProtocol.js';
import { decodeHmacSecretInput, type HmacSecretInput } from '../../ctap2/extensions.js';
import type { ExtensionDescriptor } from './descriptor.js';
import { CtapError, Status } from '../../ctap2/status.js';
import { concat, utf8 } from '../../encoding/bytes.js';
import type { Core } from '../core.js';
import { pinUvAuthRuntime } from '../pinUvAuthToken.js';

export const HMAC_SECRET = 'hmac-secret';
export const SALT_LENGTH = 32;

const KEY_INFO = utf8.encode('softkey hmac-secret CredRandom v1');
const WITH_UV = utf8.encode('CredRandomWithUV\0');
const WITHOUT_UV = utf8.encode('CredRandomWithoutUV\0');

/** A verified hmac-secret input: the protocol and shared secret to answer under, and the salts. */
export interface HmacSecretRequest {
  protocol: PinUvAuthProtocol;
  sharedSecret: Uint8Array;
  /** salt1, and salt2 when present (32 bytes each). */
  salts: Uint8Array[];
}

/**
 * The authenticator's checks of the input, in the spec's order: a supported pinUvAuthProtocol (1
 * when absent), decapsulate(keyAgreement), verify(sharedSecret, saltEnc, saltAuth), then
 * decrypt(sharedSecret, saltEnc) to 32 or 64 bytes.
 */
export function openHmacSecretInput(core: Core, input: HmacSecretInput): HmacSecretRequest {
  const protocol = pinUvAuthRuntime(core).protocol(input.pinUvAuthProtocol ?? 1);
  if (!protocol)
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, `hmac-secret pinUvAuthProtocol ${input.pinUvAuthProtocol}`);
  const sharedSecret = protocol.decapsulate(input.keyAgreement);
  if (!sharedSecret)
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'hmac-secret keyAgreement is not a usable P-256 key');
  if (!protocol.verify(sharedSecret, input.saltEnc, input.saltAuth))
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'hmac-secret saltAuth does not verify');
  const salt = protocol.decrypt(sharedSecret, input.saltEnc);
  if (!salt || (salt.length !== SALT_LENGTH && salt.length !== 2 * SALT_LENGTH)) {
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'hmac-secret salts must be 32 or 64 bytes');
  }
  const salts = salt.length === SALT_LENGTH ? [salt] : [salt.slice(0, SALT_LENGTH), salt.slice(SALT_LENGTH)];
  return { protocol, sharedSecret, salts };
}

/** CredRandomWithUV (uv) or CredRandomWithoutUV of a credential, derived as described above. */
export function credRandom(core: Core, credentialId: Uint8Array, uv: boolean): Uint8Array {
  const key = hkdfSha256(core.credentialWrapKey(), new Uint8Array(0), KEY_INFO, 32);
  return hmacSha256(key, uv ? WITH_UV : WITHOUT_UV, credentialId);
}

/** The extension output: the HMACs of the salts under the credential's CredRandom, encrypted. */
export function hmacSecretOutput(
  core: Core,
  request: HmacSecretRequest,
  credentialId: Uint8Array,
  uv: boolean,
): Uint8Array {
  const cr = credRandom(core, credentialId, uv);
  return request.protocol.encrypt(request.sharedSecret, concat(...request.salts.map((salt) => hmacSha256(cr, salt))));
}

/** makeCredential "hmac-secret": true (the credential gets CredRandom); getAssertion the salts. */
export const hmacSecret: ExtensionDescriptor<boolean, HmacSecretInput> = {
  id: HMAC_SECRET,
  decodeMakeCredentialInput: (f) => f.bool(HMAC_SECRET)!,
  decodeGetAssertionInput: (f) => decodeHmacSecretInput(f.map.get(HMAC_SECRET)!, HMAC_SECRET),
  payloadFlag: 'hmacSecret',
  onMakeCredential: (_core, input) => (input ? { output: true, flag: true } : {}),
  onGetAssertion: (core, input, { up }) => {
    // §12.5: hmac-secret needs user presence.
    if (!up) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'hmac-secret with up=false');
    const request = openHmacSecretInput(core, input);
    // A credential made without hmac-secret has no CredRandom: no output for it.
    return {
      output: (cred, uv) => (cred.payload.hmacSecret ? hmacSecretOutput(core, request, cred.id, uv) : undefined),
    };
  },
};
