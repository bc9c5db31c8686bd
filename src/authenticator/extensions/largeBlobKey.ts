/**
 * CTAP 2.1 §12.3 Large Blob Key (largeBlobKey): a 32-byte per-credential key for the large-blob
 * array (§6.10), returned in the response's largeBlobKey member (makeCredential 0x05,
 * getAssertion 0x07), never in the authenticator data. Discoverable credentials only: in
 * makeCredential without "rk": true, or with the input false, CTAP2_ERR_INVALID_OPTION.
 * The key is random and kept in the credential's store record.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-largeBlobKey-extension
 */
import { CtapError, Status } from '../../ctap2/status.js';
import type { Core, ResolvedCredential } from '../core.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const LARGE_BLOB_KEY_LENGTH = 32;

/** The input is true or absent: false is not a value the platform may send. */
export function checkLargeBlobKeyInput(input: boolean): void {
  if (!input) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'largeBlobKey: false');
}

/** makeCredential: a new key for a discoverable credential. */
export function newLargeBlobKey(core: Core, input: boolean, rk: boolean): Uint8Array {
  checkLargeBlobKeyInput(input);
  if (!rk) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'largeBlobKey needs a discoverable credential');
  return core.env.rng.bytes(LARGE_BLOB_KEY_LENGTH);
}

/** getAssertion: the credential's key, if it has one. */
export function largeBlobKeyOf(cred: ResolvedCredential): Uint8Array | undefined {
  return cred.resident?.largeBlobKey;
}

/** "largeBlobKey": true in makeCredential (a new key) and getAssertion (the credential's key). */
export const largeBlobKey: ExtensionDescriptor<boolean, boolean> = {
  id: 'largeBlobKey',
  decodeMakeCredentialInput: (f) => f.bool('largeBlobKey')!,
  decodeGetAssertionInput: (f) => f.bool('largeBlobKey')!,
  onMakeCredential: (core, input, ctx) => ({ largeBlobKey: newLargeBlobKey(core, input, ctx.rk) }),
  onGetAssertion: (_core, input) => {
    checkLargeBlobKeyInput(input);
    return { largeBlobKey: (cred) => largeBlobKeyOf(cred) };
  },
};
