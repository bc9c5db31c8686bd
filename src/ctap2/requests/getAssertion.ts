/**
 * CTAP 2.1 §6.2 authenticatorGetAssertion (0x02): request decoder.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorGetAssertion
 */
import { GetAssertionKey as K } from '../commands.js';
import { decodeExtensionInputs, type ExtensionInputDecoder, type ExtensionInputs } from './extensions.js';
import { asFields, decodeDescriptorList, decodeRequestMap, type CredentialDescriptor } from '../decode.js';

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  /** Decoded inputs of the extensions this authenticator implements, by identifier (others are dropped). */
  extensions?: ExtensionInputs;
  options: Map<string, boolean>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

/** `extensions`: the authenticator's extension input decoders (authenticator/extensions/list.ts). */
export function decodeGetAssertion(
  params: Uint8Array,
  extensions: readonly ExtensionInputDecoder[],
): GetAssertionRequest {
  const f = asFields(decodeRequestMap(params), 'getAssertion');
  const req: GetAssertionRequest = {
    rpId: f.text(K.rpId),
    clientDataHash: f.bytes(K.clientDataHash),
    options: f.options(K.options),
  };
  const allowList = decodeDescriptorList(f.array(K.allowList, true), 'allowList');
  if (allowList && allowList.length > 0) req.allowList = allowList;
  const ext = f.submap(K.extensions, true);
  if (ext) req.extensions = decodeExtensionInputs(ext.map, extensions, 'getAssertion');
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  return req;
}
