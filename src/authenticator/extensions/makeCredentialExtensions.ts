/**
 * CTAP 2.1 §6.1.2 authenticatorMakeCredential step 15, "process any extensions that this
 * authenticator supports, ignoring any that it does not support": every extension of the list
 * (list.ts) with an input in the request, in the list's order. Runs after user presence, before the
 * credential exists; an output that needs the new credential ID (hmac-secret-mc) is added by
 * makeCredentialOutputs.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-makeCred-authnr-alg
 */
import type { ExtensionInputs } from '../../ctap2/extensions.js';
import type { Encodable } from '../../encoding/cbor.js';
import type { CredProtectLevel } from '../../store/credentialStore.js';
import type { Core } from '../core.js';
import type { MakeCredentialExtensionContext, NewCredentialExtension, PayloadFlag } from './descriptor.js';
import { EXTENSIONS } from './list.js';

/** What the new credential is made with, and the outputs known before it exists. */
export interface MakeCredentialExtensions {
  /** 1 (userVerificationOptional) unless credProtect asked for another level. */
  credProtect: CredProtectLevel;
  credBlob?: Uint8Array;
  /** The payload flags the extensions set (descriptor payloadFlag), to spread into the payload and record. */
  flags: Partial<Record<PayloadFlag, true>>;
  /** The response's largeBlobKey (0x05), also stored with the credential. */
  largeBlobKey?: Uint8Array;
  outputs: Map<string, Encodable>;
  /** Outputs made once the credential ID exists. */
  later: Array<[string, NonNullable<NewCredentialExtension['outputFor']>]>;
}

export function processMakeCredentialExtensions(
  core: Core,
  inputs: ExtensionInputs | undefined,
  ctx: MakeCredentialExtensionContext,
): MakeCredentialExtensions {
  const result: MakeCredentialExtensions = { credProtect: 1, flags: {}, outputs: new Map(), later: [] };
  for (const extension of EXTENSIONS) {
    if (!extension.onMakeCredential || !inputs?.has(extension.id)) continue;
    const made = extension.onMakeCredential(core, inputs.get(extension.id), ctx);
    if (made.output !== undefined) result.outputs.set(extension.id, made.output);
    if (made.flag && extension.payloadFlag) result.flags[extension.payloadFlag] = true;
    if (made.credProtect !== undefined) result.credProtect = made.credProtect;
    if (made.credBlob) result.credBlob = made.credBlob;
    if (made.largeBlobKey) result.largeBlobKey = made.largeBlobKey;
    if (made.outputFor) result.later.push([extension.id, made.outputFor]);
  }
  return result;
}

/** Every output, once the credential ID exists. */
export function makeCredentialOutputs(
  ext: MakeCredentialExtensions,
  credentialId: Uint8Array,
  uv: boolean,
): Map<string, Encodable> {
  const outputs = new Map(ext.outputs);
  for (const [id, outputFor] of ext.later) outputs.set(id, outputFor(credentialId, uv));
  return outputs;
}
