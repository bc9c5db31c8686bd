/**
 * CTAP 2.1 §6.2.2 authenticatorGetAssertion step 10, "process any extensions that this
 * authenticator supports, ignoring any that it does not support": every extension of the list
 * (list.ts) with an input in the request. The inputs are checked once (after user presence, as the
 * step order says); the outputs are made per credential, for getAssertion and for each
 * getNextAssertion (§6.3) that follows it.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-getAssert-authnr-alg
 */
import type { ExtensionInputs } from '../../ctap2/extensions.js';
import type { Encodable } from '../../encoding/cbor.js';
import type { Core, ResolvedCredential } from '../core.js';
import type { AssertionExtension } from './descriptor.js';
import { EXTENSIONS } from './list.js';

/** The checked inputs of one getAssertion, by extension identifier, kept for its getNextAssertion calls. */
export type AssertionExtensions = ReadonlyArray<readonly [string, AssertionExtension]>;

export function processGetAssertionExtensions(
  core: Core,
  inputs: ExtensionInputs | undefined,
  up: boolean,
): AssertionExtensions | undefined {
  if (!inputs) return undefined;
  const checked: Array<readonly [string, AssertionExtension]> = [];
  for (const extension of EXTENSIONS) {
    if (!extension.onGetAssertion || !inputs.has(extension.id)) continue;
    checked.push([extension.id, extension.onGetAssertion(core, inputs.get(extension.id), { up })]);
  }
  return checked;
}

/** The authenticator-data extension outputs and the response's largeBlobKey for one credential. */
export function assertionOutputs(
  ext: AssertionExtensions | undefined,
  cred: ResolvedCredential,
  uv: boolean,
): { extensions: Map<string, Encodable>; largeBlobKey?: Uint8Array } {
  const extensions = new Map<string, Encodable>();
  let largeBlobKey: Uint8Array | undefined;
  for (const [id, extension] of ext ?? []) {
    const output = extension.output?.(cred, uv);
    if (output !== undefined) extensions.set(id, output);
    largeBlobKey ??= extension.largeBlobKey?.(cred);
  }
  return largeBlobKey ? { extensions, largeBlobKey } : { extensions };
}
