/**
 * CTAP 2.1 §12.2 Credential Blob (credBlob): a small opaque blob stored with the credential at
 * makeCredential ("credBlob": bytes → output true when stored, false when longer than
 * maxCredBlobLength), returned by getAssertion on "credBlob": true (empty bytes when none; the
 * WebAuthn client input is getCredBlob, the CTAP input key is the extension identifier).
 * Stored inside the sealed credential ID (so non-resident credentials carry it too) and, for
 * discoverable credentials, also in their store record.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-credBlob-extension
 */
import type { ResolvedCredential } from '../core.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const CRED_BLOB = 'credBlob';
/** getInfo maxCredBlobLength: the spec's minimum, 32 bytes (the sealed ID could hold up to 255). */
export const MAX_CRED_BLOB_LENGTH = 32;

/** makeCredential: the blob to store (undefined when it is too long) and the output. */
export function acceptCredBlob(blob: Uint8Array): { stored: Uint8Array | undefined; output: boolean } {
  return blob.length <= MAX_CRED_BLOB_LENGTH ? { stored: blob, output: true } : { stored: undefined, output: false };
}

/** getAssertion "credBlob": true → the credential's blob, or an empty byte string. */
export function credBlobOutput(cred: ResolvedCredential): Uint8Array {
  return cred.payload.credBlob ?? new Uint8Array(0);
}

/** makeCredential "credBlob": bytes (stored when short enough); getAssertion "credBlob": true. */
export const credBlob: ExtensionDescriptor<Uint8Array, boolean> = {
  id: CRED_BLOB,
  decodeMakeCredentialInput: (f) => f.bytes(CRED_BLOB),
  decodeGetAssertionInput: (f) => f.bool(CRED_BLOB)!,
  onMakeCredential: (_core, blob) => {
    const { stored, output } = acceptCredBlob(blob);
    return { output, ...(stored && { credBlob: stored }) };
  },
  onGetAssertion: (_core, get) => (get ? { output: (cred) => credBlobOutput(cred) } : {}),
};
