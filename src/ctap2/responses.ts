/** CTAP 2.1 §6 response encoders: typed responses → canonical integer-keyed CBOR maps. */
import { encode, type Encodable } from '../encoding/cbor.js';
import type { GetAssertionResponse, GetInfoResponse, MakeCredentialResponse } from './api.js';
import { GetAssertionResponseKey as GA, GetInfoKey as GI, MakeCredentialResponseKey as MC } from './commands.js';

type Entries = Array<[number, Encodable | undefined]>;
const mapOf = (entries: Entries) => encode(new Map(entries));

export function encodeMakeCredentialResponse(r: MakeCredentialResponse): Uint8Array {
  return mapOf([
    [MC.fmt, r.fmt],
    [MC.authData, r.authData],
    [MC.attStmt, r.attStmt],
    [MC.epAtt, r.epAtt],
    [MC.largeBlobKey, r.largeBlobKey],
  ]);
}

export function encodeGetAssertionResponse(r: GetAssertionResponse): Uint8Array {
  const user = r.user && { id: r.user.id, name: r.user.name, displayName: r.user.displayName };
  return mapOf([
    [GA.credential, { id: r.credential.id, type: r.credential.type }],
    [GA.authData, r.authData],
    [GA.signature, r.signature],
    [GA.user, user],
    [GA.numberOfCredentials, r.numberOfCredentials],
    [GA.userSelected, r.userSelected],
    [GA.largeBlobKey, r.largeBlobKey],
  ]);
}

export function encodeGetInfoResponse(r: GetInfoResponse): Uint8Array {
  return mapOf([
    [GI.versions, r.versions],
    [GI.extensions, r.extensions],
    [GI.aaguid, r.aaguid],
    [GI.options, r.options],
    [GI.maxMsgSize, r.maxMsgSize],
    [GI.pinUvAuthProtocols, r.pinUvAuthProtocols],
    [GI.maxCredentialCountInList, r.maxCredentialCountInList],
    [GI.maxCredentialIdLength, r.maxCredentialIdLength],
    [GI.transports, r.transports],
    [GI.algorithms, r.algorithms],
    [GI.maxSerializedLargeBlobArray, r.maxSerializedLargeBlobArray],
    [GI.forcePINChange, r.forcePINChange],
    [GI.minPINLength, r.minPINLength],
    [GI.firmwareVersion, r.firmwareVersion],
    [GI.maxCredBlobLength, r.maxCredBlobLength],
    [GI.maxRPIDsForSetMinPINLength, r.maxRPIDsForSetMinPINLength],
    [GI.preferredPlatformUvAttempts, r.preferredPlatformUvAttempts],
    [GI.uvModality, r.uvModality],
    [GI.remainingDiscoverableCredentials, r.remainingDiscoverableCredentials],
    [GI.attestationFormats, r.attestationFormats],
    [GI.uvCountSinceLastPinEntry, r.uvCountSinceLastPinEntry],
    [GI.longTouchForReset, r.longTouchForReset],
    [GI.encIdentifier, r.encIdentifier],
    [GI.transportsForReset, r.transportsForReset],
    [GI.pinComplexityPolicy, r.pinComplexityPolicy],
    [GI.pinComplexityPolicyURL, r.pinComplexityPolicyURL],
    [GI.maxPINLength, r.maxPINLength],
    [GI.encCredStoreState, r.encCredStoreState],
    [GI.authenticatorConfigCommands, r.authenticatorConfigCommands],
  ]);
}
