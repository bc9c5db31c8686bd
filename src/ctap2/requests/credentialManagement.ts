/**
 * CTAP 2.1 §6.8 authenticatorCredentialManagement (0x0A, and the FIDO_2_1_PRE command 0x41 with the
 * same parameters): request and response member keys, subCommand values, request decoder and
 * response encoder.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorCredentialManagement
 */
import { encode, type CborMap, type Encodable } from '../../encoding/cbor.js';
import { asFields, type Fields } from '../decode.js';
import { decodeRequestMap } from '../wire.js';
import { type CredentialDescriptor } from '../entities.js';
import { CtapError, Status } from '../status.js';
import type { PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity } from '../entities.js';

/** §6.8 request keys. */
export const CredentialManagementKey = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

/** §6.8 subCommandParams keys. */
export const CredentialManagementParamKey = {
  rpIDHash: 0x01,
  credentialID: 0x02,
  user: 0x03,
} as const;

/** §6.8 response keys. */
export const CredentialManagementResponseKey = {
  existingResidentCredentialsCount: 0x01,
  maxPossibleRemainingResidentCredentialsCount: 0x02,
  rp: 0x03,
  rpIDHash: 0x04,
  totalRPs: 0x05,
  user: 0x06,
  credentialID: 0x07,
  publicKey: 0x08,
  totalCredentials: 0x09,
  credProtect: 0x0a,
  largeBlobKey: 0x0b,
  /** CTAP 2.2 §6.8: the credential is a thirdPartyPayment credential (§12.9). */
  thirdPartyPayment: 0x0c,
} as const;

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

export interface CredentialManagementSubCommandParams {
  /** The canonical CBOR of subCommandParams: what pinUvAuthParam authenticates after the subCommand byte. */
  encoded: Uint8Array;
  rpIDHash?: Uint8Array;
  credentialID?: CredentialDescriptor;
  user?: PublicKeyCredentialUserEntity;
}

export interface CredentialManagementRequest {
  subCommand: number;
  subCommandParams?: CredentialManagementSubCommandParams;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

export interface CredentialManagementResponse {
  existingResidentCredentialsCount?: number;
  maxPossibleRemainingResidentCredentialsCount?: number;
  rp?: PublicKeyCredentialRpEntity;
  rpIDHash?: Uint8Array;
  totalRPs?: number;
  user?: PublicKeyCredentialUserEntity;
  credentialID?: { type: 'public-key'; id: Uint8Array };
  /** The credential public key as a COSE_Key map. */
  publicKey?: CborMap;
  totalCredentials?: number;
  credProtect?: number;
  largeBlobKey?: Uint8Array;
  thirdPartyPayment?: boolean;
}

function decodeUser(f: Fields): PublicKeyCredentialUserEntity {
  const user: PublicKeyCredentialUserEntity = { id: f.bytes('id') };
  if (user.id.length > 64) throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, 'user.id longer than 64 bytes');
  const name = f.text('name', true);
  const displayName = f.text('displayName', true);
  if (name !== undefined) user.name = name;
  if (displayName !== undefined) user.displayName = displayName;
  f.text('icon', true); // not kept, but typed like the entity's other members
  return user;
}

function decodeParams(f: Fields): CredentialManagementSubCommandParams {
  const K = CredentialManagementParamKey;
  // The strict decoder accepts only canonical CBOR, so re-encoding gives back the bytes received.
  const params: CredentialManagementSubCommandParams = { encoded: encode(f.map) };
  const rpIDHash = f.bytes(K.rpIDHash, true);
  if (rpIDHash) params.rpIDHash = rpIDHash;
  const cred = f.submap(K.credentialID, true);
  if (cred) {
    params.credentialID = { type: cred.text('type'), id: cred.bytes('id') };
    const transports = cred.array('transports', true);
    if (transports) {
      if (!transports.every((t) => typeof t === 'string'))
        throw new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'credentialID.transports');
      params.credentialID.transports = transports;
    }
  }
  const user = f.submap(K.user, true);
  if (user) params.user = decodeUser(user);
  return params;
}

export function decodeCredentialManagement(params: Uint8Array): CredentialManagementRequest {
  const K = CredentialManagementKey;
  const f = asFields(decodeRequestMap(params), 'credentialManagement');
  const req: CredentialManagementRequest = { subCommand: f.uint(K.subCommand) };
  const sub = f.submap(K.subCommandParams, true);
  if (sub) req.subCommandParams = decodeParams(sub);
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  return req;
}

const userEntity = (u: PublicKeyCredentialUserEntity) => ({ id: u.id, name: u.name, displayName: u.displayName });

/** The response map, or undefined (status byte only) for deleteCredential/updateUserInformation. */
export function encodeCredentialManagementResponse(r: CredentialManagementResponse): Uint8Array | undefined {
  const R = CredentialManagementResponseKey;
  const entries: Array<[number, Encodable | undefined]> = [
    [R.existingResidentCredentialsCount, r.existingResidentCredentialsCount],
    [R.maxPossibleRemainingResidentCredentialsCount, r.maxPossibleRemainingResidentCredentialsCount],
    [R.rp, r.rp && { id: r.rp.id, name: r.rp.name }],
    [R.rpIDHash, r.rpIDHash],
    [R.totalRPs, r.totalRPs],
    [R.user, r.user && userEntity(r.user)],
    [R.credentialID, r.credentialID && { id: r.credentialID.id, type: r.credentialID.type }],
    [R.publicKey, r.publicKey],
    [R.totalCredentials, r.totalCredentials],
    [R.credProtect, r.credProtect],
    [R.largeBlobKey, r.largeBlobKey],
    [R.thirdPartyPayment, r.thirdPartyPayment],
  ];
  const present = entries.filter(([, v]) => v !== undefined);
  return present.length === 0 ? undefined : encode(new Map(present));
}
