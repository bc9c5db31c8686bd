/**
 * CTAP 2.1 §6.1 authenticatorMakeCredential (0x01): request decoder.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorMakeCredential
 */
import { MakeCredentialKey as K } from '../commands.js';
import { decodeExtensionInputs, type ExtensionInputDecoder, type ExtensionInputs } from './extensions.js';
import { asFields, decodeDescriptorList, decodeRequestMap, type CredentialDescriptor } from '../decode.js';
import { CtapError, Status } from '../status.js';

export interface PublicKeyCredentialRpEntity {
  id: string;
  name?: string;
}

export interface PublicKeyCredentialUserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

export interface PublicKeyCredentialParameters {
  type: string;
  alg: number;
}

export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: PublicKeyCredentialRpEntity;
  user: PublicKeyCredentialUserEntity;
  pubKeyCredParams: PublicKeyCredentialParameters[];
  excludeList?: CredentialDescriptor[];
  /** Decoded inputs of the extensions this authenticator implements, by identifier (others are dropped). */
  extensions?: ExtensionInputs;
  options: Map<string, boolean>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  enterpriseAttestation?: number;
  /** CTAP 2.3 §6.1 (0x0B): attestation statement format identifiers, most preferred first. */
  attestationFormatsPreference?: string[];
}

/** `extensions`: the authenticator's extension input decoders (authenticator/extensions/list.ts). */
export function decodeMakeCredential(
  params: Uint8Array,
  extensions: readonly ExtensionInputDecoder[],
): MakeCredentialRequest {
  const f = asFields(decodeRequestMap(params), 'makeCredential');
  const clientDataHash = f.bytes(K.clientDataHash);
  const rpF = f.submap(K.rp);
  const userF = f.submap(K.user);
  const paramsList = f.array(K.pubKeyCredParams);

  const rp: PublicKeyCredentialRpEntity = { id: rpF.text('id') };
  const rpName = rpF.text('name', true);
  if (rpName !== undefined) rp.name = rpName;
  // "icon" (a URL, PublicKeyCredentialEntity of WebAuthn L1 / CTAP 2.0 §5.1) is not kept, but a
  // present one must be a text string like the entity's other members: else CBOR_UNEXPECTED_TYPE.
  rpF.text('icon', true);

  const user: PublicKeyCredentialUserEntity = { id: userF.bytes('id') };
  if (user.id.length > 64) throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, 'user.id longer than 64 bytes');
  const name = userF.text('name', true);
  const displayName = userF.text('displayName', true);
  if (name !== undefined) user.name = name;
  if (displayName !== undefined) user.displayName = displayName;
  userF.text('icon', true);

  const pubKeyCredParams = paramsList.map((item, i) => {
    const p = asFields(item, `pubKeyCredParams[${i}]`);
    return { alg: p.int('alg'), type: p.text('type') };
  });

  const req: MakeCredentialRequest = { clientDataHash, rp, user, pubKeyCredParams, options: f.options(K.options) };
  const excludeList = decodeDescriptorList(f.array(K.excludeList, true), 'excludeList');
  if (excludeList) req.excludeList = excludeList;
  const ext = f.submap(K.extensions, true);
  if (ext) req.extensions = decodeExtensionInputs(ext.map, extensions, 'makeCredential');
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  const ep = f.uint(K.enterpriseAttestation, true);
  if (ep !== undefined) req.enterpriseAttestation = ep;
  const formats = f.array(K.attestationFormatsPreference, true);
  if (formats) {
    if (!formats.every((x) => typeof x === 'string')) {
      throw new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'attestationFormatsPreference must be text strings');
    }
    req.attestationFormatsPreference = formats;
  }
  return req;
}
