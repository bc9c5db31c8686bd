/**
 * CTAP 2.1 §6.4 authenticatorGetInfo (0x04; CTAP 2.3 §6.4 adds members 0x16–0x1F), both directions:
 * the response field list, its key table and codecs. The request has no parameters.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorGetInfo
 */
import { encode, type CborMap } from '../encoding/cbor.js';
import { Command } from './commands.js';
import { CtapError, Status } from './status.js';
import {
  arrayOf,
  bool,
  bytes,
  commandBytes,
  int,
  keyTable,
  recordOf,
  responseBody,
  struct,
  text,
  uint,
  type Codec,
} from './wire.js';

/** getInfo has no parameters. */
export type GetInfoRequest = Record<string, never>;

/** An entry of algorithms (0x0A): a PublicKeyCredentialParameters. */
export interface GetInfoAlgorithm {
  type: 'public-key';
  alg: number;
}

export interface GetInfoResponse {
  versions: string[];
  extensions?: string[];
  aaguid: Uint8Array;
  options?: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols?: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports?: string[];
  algorithms?: GetInfoAlgorithm[];
  maxSerializedLargeBlobArray?: number;
  forcePINChange?: boolean;
  minPINLength?: number;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRPIDsForSetMinPINLength?: number;
  preferredPlatformUvAttempts?: number;
  uvModality?: number;
  certifications?: Record<string, number>;
  remainingDiscoverableCredentials?: number;
  vendorPrototypeConfigCommands?: number[];
  // CTAP 2.3 §6.4.
  attestationFormats?: string[];
  uvCountSinceLastPinEntry?: number;
  longTouchForReset?: boolean;
  encIdentifier?: Uint8Array;
  transportsForReset?: string[];
  pinComplexityPolicy?: boolean;
  pinComplexityPolicyURL?: Uint8Array;
  maxPINLength?: number;
  encCredStoreState?: Uint8Array;
  authenticatorConfigCommands?: number[];
}

const algorithm = struct<{ type: string; alg: number }>({
  type: { key: 'type', codec: text },
  alg: { key: 'alg', codec: int },
});
const algorithmEntry: Codec<GetInfoAlgorithm> = {
  decode: (v, path) => ({
    type: 'public-key',
    alg: algorithm.decode(v, path).alg,
  }),
  encode: algorithm.encode,
};

/** §6.4 response members. */
export const getInfoResponse = struct<GetInfoResponse>({
  versions: { key: 0x01, codec: arrayOf(text) },
  extensions: { key: 0x02, codec: arrayOf(text), optional: true },
  aaguid: { key: 0x03, codec: bytes },
  options: { key: 0x04, codec: recordOf(bool), optional: true },
  maxMsgSize: { key: 0x05, codec: uint, optional: true },
  pinUvAuthProtocols: { key: 0x06, codec: arrayOf(uint), optional: true },
  maxCredentialCountInList: { key: 0x07, codec: uint, optional: true },
  maxCredentialIdLength: { key: 0x08, codec: uint, optional: true },
  transports: { key: 0x09, codec: arrayOf(text), optional: true },
  algorithms: { key: 0x0a, codec: arrayOf(algorithmEntry), optional: true },
  maxSerializedLargeBlobArray: { key: 0x0b, codec: uint, optional: true },
  forcePINChange: { key: 0x0c, codec: bool, optional: true },
  minPINLength: { key: 0x0d, codec: uint, optional: true },
  firmwareVersion: { key: 0x0e, codec: uint, optional: true },
  maxCredBlobLength: { key: 0x0f, codec: uint, optional: true },
  maxRPIDsForSetMinPINLength: { key: 0x10, codec: uint, optional: true },
  preferredPlatformUvAttempts: { key: 0x11, codec: uint, optional: true },
  uvModality: { key: 0x12, codec: uint, optional: true },
  certifications: { key: 0x13, codec: recordOf(uint), optional: true },
  remainingDiscoverableCredentials: { key: 0x14, codec: uint, optional: true },
  vendorPrototypeConfigCommands: { key: 0x15, codec: arrayOf(uint), optional: true },
  attestationFormats: { key: 0x16, codec: arrayOf(text), optional: true },
  uvCountSinceLastPinEntry: { key: 0x17, codec: uint, optional: true },
  longTouchForReset: { key: 0x18, codec: bool, optional: true },
  encIdentifier: { key: 0x19, codec: bytes, optional: true },
  transportsForReset: { key: 0x1a, codec: arrayOf(text), optional: true },
  pinComplexityPolicy: { key: 0x1b, codec: bool, optional: true },
  pinComplexityPolicyURL: { key: 0x1c, codec: bytes, optional: true },
  maxPINLength: { key: 0x1d, codec: uint, optional: true },
  encCredStoreState: { key: 0x1e, codec: bytes, optional: true },
  authenticatorConfigCommands: { key: 0x1f, codec: arrayOf(uint), optional: true },
});

/** §6.4 response keys. */
export const GetInfoKey = keyTable(getInfoResponse.members);

/** Platform: the command byte alone. */
export function encodeGetInfoRequest(_req: GetInfoRequest = {}): Uint8Array {
  return commandBytes(Command.authenticatorGetInfo);
}

/** Authenticator: getInfo takes no parameters; any bytes after the command byte are ignored. */
export function decodeGetInfoRequest(_params: Uint8Array): GetInfoRequest {
  return {};
}

/** Authenticator: the response map (after the status byte). */
export function encodeGetInfoResponse(res: GetInfoResponse): Uint8Array {
  return encode(getInfoResponse.toMap(res));
}

/** Platform: status ‖ response map → the response, with the map as received in `raw`. */
export function decodeGetInfoResponse(response: Uint8Array): GetInfoResponse & { raw: CborMap } {
  const m = responseBody(response);
  if (!m) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'getInfo response has no members');
  return { ...getInfoResponse.fromMap(m, 'getInfo response'), raw: m };
}
