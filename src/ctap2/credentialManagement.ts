/**
 * CTAP 2.1 §6.8 authenticatorCredentialManagement (0x0A, and the FIDO_2_1_PRE prototype command 0x41
 * with the same parameters), both directions: field lists, key tables, subCommand values, the four
 * codecs, and the message pinUvAuthParam authenticates (subCommand ‖ subCommandParams), which the
 * platform signs and the authenticator verifies. The platform's signed request is in hostCodec.ts.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorCredentialManagement
 */
import { concat } from '../encoding/bytes.js';
import { encode, type CborMap } from '../encoding/cbor.js';
import { Command } from './commands.js';
import {
  credentialDescriptor,
  publicKeyCredentialId,
  requestUserEntity,
  rpEntity,
  userEntity,
  type CredentialDescriptor,
  type PublicKeyCredentialId,
  type PublicKeyCredentialRpEntity,
  type PublicKeyCredentialUserEntity,
} from './entities.js';
import {
  anyMap,
  bool,
  bytes,
  commandBytes,
  commandCodecs,
  decodeRequestMap,
  encodeOptionalMap,
  keyTable,
  struct,
  uint,
} from './wire.js';

/** §6.8 subCommand values. */
export const CredentialManagementSubCommand = {
  getCredsMetadata: 0x01,
  enumerateRPsBegin: 0x02,
  enumerateRPsGetNextRP: 0x03,
  enumerateCredentialsBegin: 0x04,
  enumerateCredentialsGetNextCredential: 0x05,
  deleteCredential: 0x06,
  updateUserInformation: 0x07,
} as const;

/** The command bytes that carry these parameters: 0x0A, and 0x41 for FIDO_2_1_PRE authenticators. */
export type CredentialManagementCommand =
  typeof Command.authenticatorCredentialManagement | typeof Command.authenticatorCredentialManagementPreview;

/** §6.8 subCommandParams: rpIDHash (enumerateCredentialsBegin), credentialID and user (delete, update). */
export interface CredentialManagementSubCommandParams {
  rpIDHash?: Uint8Array;
  credentialID?: CredentialDescriptor;
  user?: PublicKeyCredentialUserEntity;
}

export interface CredentialManagementRequest {
  subCommand: number;
  subCommandParams?: CredentialManagementSubCommandParams;
  /**
   * subCommandParams exactly as received (set by the decoder; the encoder sends subCommandParams):
   * what pinUvAuthParam authenticates after the subCommand byte.
   */
  subCommandParamsEncoded?: Uint8Array;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

/** §6.8 response (every member optional; deleteCredential and updateUserInformation answer the status only). */
export interface CredentialManagementResponse {
  existingResidentCredentialsCount?: number;
  maxPossibleRemainingResidentCredentialsCount?: number;
  rp?: PublicKeyCredentialRpEntity;
  rpIDHash?: Uint8Array;
  totalRPs?: number;
  user?: PublicKeyCredentialUserEntity;
  credentialID?: PublicKeyCredentialId;
  /** The credential public key as a COSE_Key map. */
  publicKey?: CborMap;
  totalCredentials?: number;
  credProtect?: number;
  largeBlobKey?: Uint8Array;
  /** CTAP 2.2 §6.8: the credential is a thirdPartyPayment credential (§12.9). */
  thirdPartyPayment?: boolean;
}

/** §6.8 subCommandParams members. */
export const credentialManagementSubCommandParams = struct<CredentialManagementSubCommandParams>({
  rpIDHash: { key: 0x01, codec: bytes, optional: true },
  credentialID: { key: 0x02, codec: credentialDescriptor, optional: true },
  user: { key: 0x03, codec: requestUserEntity, optional: true },
});

/** §6.8 request members (the received subCommandParams bytes are kept beside them by the decoder). */
export const credentialManagementRequest = struct<Omit<CredentialManagementRequest, 'subCommandParamsEncoded'>>({
  subCommand: { key: 0x01, codec: uint },
  subCommandParams: { key: 0x02, codec: credentialManagementSubCommandParams, optional: true },
  pinUvAuthProtocol: { key: 0x03, codec: uint, optional: true },
  pinUvAuthParam: { key: 0x04, codec: bytes, optional: true },
});

/** §6.8 response members. */
export const credentialManagementResponse = struct<CredentialManagementResponse>({
  existingResidentCredentialsCount: { key: 0x01, codec: uint, optional: true },
  maxPossibleRemainingResidentCredentialsCount: { key: 0x02, codec: uint, optional: true },
  rp: { key: 0x03, codec: rpEntity, optional: true },
  rpIDHash: { key: 0x04, codec: bytes, optional: true },
  totalRPs: { key: 0x05, codec: uint, optional: true },
  user: { key: 0x06, codec: userEntity, optional: true },
  credentialID: { key: 0x07, codec: publicKeyCredentialId, optional: true },
  publicKey: { key: 0x08, codec: anyMap, optional: true },
  totalCredentials: { key: 0x09, codec: uint, optional: true },
  credProtect: { key: 0x0a, codec: uint, optional: true },
  largeBlobKey: { key: 0x0b, codec: bytes, optional: true },
  thirdPartyPayment: { key: 0x0c, codec: bool, optional: true },
});

/** §6.8 request keys. */
export const CredentialManagementKey = keyTable(credentialManagementRequest.members);
/** §6.8 subCommandParams keys. */
export const CredentialManagementParamKey = keyTable(credentialManagementSubCommandParams.members);
/** §6.8 response keys. */
export const CredentialManagementResponseKey = keyTable(credentialManagementResponse.members);

/**
 * §6.8: the message pinUvAuthParam authenticates, subCommand ‖ subCommandParams: the authenticator's
 * are the bytes it received (subCommandParamsEncoded), the platform's the encoding of what it sends.
 */
export function credentialManagementAuthMessage(req: CredentialManagementRequest): Uint8Array {
  const params =
    req.subCommandParamsEncoded ??
    (req.subCommandParams && encode(credentialManagementSubCommandParams.toMap(req.subCommandParams)));
  return concat(Uint8Array.of(req.subCommand & 0xff), params ?? new Uint8Array(0));
}

// The response codecs come from commandCodecs; the request's are below (the prototype's command byte,
// and the subCommandParams bytes received).
const codecs = commandCodecs(
  Command.authenticatorCredentialManagement,
  'credentialManagement',
  credentialManagementRequest,
  credentialManagementResponse,
  encodeOptionalMap,
);

/** Platform: command byte (0x0A, or 0x41 for the prototype) ‖ request map. */
export function encodeCredentialManagementRequest(
  req: CredentialManagementRequest,
  command: CredentialManagementCommand = Command.authenticatorCredentialManagement,
): Uint8Array {
  return commandBytes(command, credentialManagementRequest.toMap(req));
}

/** Authenticator: the parameters after the command byte → the request, or the §6.8 status. */
export function decodeCredentialManagementRequest(params: Uint8Array): CredentialManagementRequest {
  const map = decodeRequestMap(params);
  const req: CredentialManagementRequest = credentialManagementRequest.fromMap(map, 'credentialManagement');
  // Strict canonical decoding: re-encoding the map gives back the bytes received.
  const sub = map.get(CredentialManagementKey.subCommandParams);
  if (sub !== undefined) req.subCommandParamsEncoded = encode(sub);
  return req;
}

/** Authenticator: the response map, or undefined (status byte only) for deleteCredential/updateUserInformation. */
export const encodeCredentialManagementResponse = codecs.encodeResponse;
/** Platform: status ‖ response map → the members present (none for deleteCredential/updateUserInformation). */
export const decodeCredentialManagementResponse = codecs.decodeResponse;
