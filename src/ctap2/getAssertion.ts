/**
 * CTAP 2.1 §6.2 authenticatorGetAssertion (0x02) and §6.3 authenticatorGetNextAssertion (0x08, same
 * response), both directions: field lists, key tables and the four codecs.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorGetAssertion
 */
import { encode, type CborKey, type Encodable } from '../encoding/cbor.js';
import { Command } from './commands.js';
import {
  credentialDescriptor,
  publicKeyCredentialId,
  userEntity,
  type CredentialDescriptor,
  type PublicKeyCredentialId,
  type PublicKeyCredentialUserEntity,
} from './entities.js';
import { CtapError, Status } from './status.js';
import {
  arrayOf,
  bool,
  bytes,
  commandBytes,
  decodeRequestMap,
  keyTable,
  openMap,
  recordOf,
  responseBody,
  struct,
  text,
  uint,
} from './wire.js';

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  /** Absent or non-empty: the authenticator's decoder drops an empty list (§6.2.2 step 2 treats both alike). */
  allowList?: CredentialDescriptor[];
  /** Authenticator extension inputs by identifier, as sent (see MakeCredentialRequest.extensions). */
  extensions?: ReadonlyMap<CborKey, Encodable>;
  /** up, uv (rk is refused, §6.2.2 step 5). */
  options?: Readonly<Record<string, boolean>>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface GetAssertionResponse {
  credential: PublicKeyCredentialId;
  authData: Uint8Array;
  signature: Uint8Array;
  user?: PublicKeyCredentialUserEntity;
  numberOfCredentials?: number;
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
}

/** §6.2 request members. */
export const getAssertionRequest = struct<GetAssertionRequest>({
  rpId: { key: 0x01, codec: text },
  clientDataHash: { key: 0x02, codec: bytes },
  allowList: { key: 0x03, codec: arrayOf(credentialDescriptor), optional: true },
  extensions: { key: 0x04, codec: openMap, optional: true },
  options: { key: 0x05, codec: recordOf(bool), optional: true },
  pinUvAuthParam: { key: 0x06, codec: bytes, optional: true },
  pinUvAuthProtocol: { key: 0x07, codec: uint, optional: true },
});

/** §6.2 response members (getNextAssertion answers the same map). */
export const getAssertionResponse = struct<GetAssertionResponse>({
  credential: { key: 0x01, codec: publicKeyCredentialId },
  authData: { key: 0x02, codec: bytes },
  signature: { key: 0x03, codec: bytes },
  user: { key: 0x04, codec: userEntity, optional: true },
  numberOfCredentials: { key: 0x05, codec: uint, optional: true },
  userSelected: { key: 0x06, codec: bool, optional: true },
  largeBlobKey: { key: 0x07, codec: bytes, optional: true },
});

/** §6.2 request keys. */
export const GetAssertionKey = keyTable(getAssertionRequest.members);
/** §6.2 response keys. */
export const GetAssertionResponseKey = keyTable(getAssertionResponse.members);

/** Platform: command byte ‖ request map. */
export function encodeGetAssertionRequest(req: GetAssertionRequest): Uint8Array {
  return commandBytes(Command.authenticatorGetAssertion, getAssertionRequest.toMap(req));
}

/** Authenticator: the parameters after the command byte → the request, or the §6.2 status. */
export function decodeGetAssertionRequest(params: Uint8Array): GetAssertionRequest {
  const req = getAssertionRequest.fromMap(decodeRequestMap(params), 'getAssertion');
  if (req.allowList?.length === 0) delete req.allowList;
  return req;
}

/**
 * Authenticator: the response map (after the status byte); with `status`, that byte ‖ the map, the
 * whole response in one allocation (the dispatcher's hot path).
 */
export function encodeGetAssertionResponse(res: GetAssertionResponse, status?: number): Uint8Array {
  return encode(getAssertionResponse.toMap(res), status);
}

/**
 * Platform: status ‖ response map → the response. §6.2.2: the authenticator "MAY omit" credential
 * (0x01) when the allowList had exactly one entry; pass that allowList and the credential is filled in from it.
 */
export function decodeGetAssertionResponse(
  response: Uint8Array,
  allowList?: readonly CredentialDescriptor[],
): GetAssertionResponse {
  let m = responseBody(response);
  if (!m) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'getAssertion response has no members');
  const key = GetAssertionResponseKey.credential;
  if (!m.has(key) && allowList?.length === 1) {
    m = new Map(m).set(
      key,
      new Map<CborKey, Uint8Array | string>([
        ['id', allowList[0]!.id],
        ['type', 'public-key'],
      ]),
    );
  }
  return getAssertionResponse.fromMap(m, 'getAssertion response');
}
