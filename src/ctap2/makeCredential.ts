/**
 * CTAP 2.1 §6.1 authenticatorMakeCredential (0x01), both directions: the request and response field
 * lists, their key tables, and the four codecs (platform: encode request, decode response;
 * authenticator: decode request, encode response).
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorMakeCredential
 */
import { encode, type CborKey, type Encodable } from '../encoding/cbor.js';
import { Command } from './commands.js';
import {
  credentialDescriptor,
  credentialParameters,
  requestUserEntity,
  rpEntity,
  type CredentialDescriptor,
  type PublicKeyCredentialParameters,
  type PublicKeyCredentialRpEntity,
  type PublicKeyCredentialUserEntity,
} from './entities.js';
import { CtapError, Status } from './status.js';
import {
  arrayOf,
  bool,
  bytes,
  type Codec,
  commandCodecs,
  keyTable,
  openMap,
  recordOf,
  struct,
  text,
  uint,
} from './wire.js';

export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: PublicKeyCredentialRpEntity;
  user: PublicKeyCredentialUserEntity;
  pubKeyCredParams: PublicKeyCredentialParameters[];
  excludeList?: CredentialDescriptor[];
  /**
   * Authenticator extension inputs by identifier, as sent; the authenticator decodes those it implements
   * (ctap2/extensions.ts decodeExtensionInputs) and ignores the others (§12).
   */
  extensions?: ReadonlyMap<CborKey, Encodable>;
  /** rk, up, uv (§6.1.2 step 5). */
  options?: Readonly<Record<string, boolean>>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  enterpriseAttestation?: number;
  /** CTAP 2.3 §6.1 (0x0B): attestation statement format identifiers, most preferred first. */
  attestationFormatsPreference?: string[];
}

/**
 * fmt and attStmt (WebAuthn L3 §6.5.4): attStmt is a map, or for fmt "compound" (§8.9) an array of
 * { fmt, attStmt } maps.
 */
export interface AttestationStatement {
  fmt: string;
  attStmt: ReadonlyMap<string, Encodable> | readonly Encodable[];
}

export interface MakeCredentialResponse extends AttestationStatement {
  authData: Uint8Array;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
}

const attStmt: Codec<AttestationStatement['attStmt']> = {
  decode: (v, path) => {
    if (!(v instanceof Map) && !Array.isArray(v))
      throw new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${path} must be a map or an array`);
    return v as AttestationStatement['attStmt'];
  },
  encode: (v) => v,
};

/** §6.1 request members. */
export const makeCredentialRequest = struct<MakeCredentialRequest>({
  clientDataHash: { key: 0x01, codec: bytes },
  rp: { key: 0x02, codec: rpEntity },
  user: { key: 0x03, codec: requestUserEntity },
  pubKeyCredParams: { key: 0x04, codec: arrayOf(credentialParameters) },
  excludeList: { key: 0x05, codec: arrayOf(credentialDescriptor), optional: true },
  extensions: { key: 0x06, codec: openMap, optional: true },
  options: { key: 0x07, codec: recordOf(bool), optional: true },
  pinUvAuthParam: { key: 0x08, codec: bytes, optional: true },
  pinUvAuthProtocol: { key: 0x09, codec: uint, optional: true },
  enterpriseAttestation: { key: 0x0a, codec: uint, optional: true },
  attestationFormatsPreference: { key: 0x0b, codec: arrayOf(text), optional: true },
});

/** §6.1 response members. */
export const makeCredentialResponse = struct<MakeCredentialResponse>({
  fmt: { key: 0x01, codec: text },
  authData: { key: 0x02, codec: bytes },
  attStmt: { key: 0x03, codec: attStmt },
  epAtt: { key: 0x04, codec: bool, optional: true },
  largeBlobKey: { key: 0x05, codec: bytes, optional: true },
});

/** §6.1 request keys. */
export const MakeCredentialKey = keyTable(makeCredentialRequest.members);
/** §6.1 response keys. */
export const MakeCredentialResponseKey = keyTable(makeCredentialResponse.members);

const codecs = commandCodecs(
  Command.authenticatorMakeCredential,
  'makeCredential',
  makeCredentialRequest,
  makeCredentialResponse,
  encode,
);
/** Platform: command byte ‖ request map. */
export const encodeMakeCredentialRequest = codecs.encodeRequest;
/** Authenticator: the parameters after the command byte → the request, or the §6.1 status. */
export const decodeMakeCredentialRequest = codecs.decodeRequest;
/** Authenticator: the response map (after the status byte). */
export const encodeMakeCredentialResponse = codecs.encodeResponse;
/** Platform: status ‖ response map → the response; a non-zero status throws its CtapError. */
export const decodeMakeCredentialResponse = codecs.decodeResponse;
