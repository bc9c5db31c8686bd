/**
 * CTAP 2.1 §6.5 authenticatorClientPIN (0x06): request decoder and response encoder.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorClientPIN
 */
import { encode, type CborMap, type Encodable } from '../../encoding/cbor.js';
import type { ClientPinResponse } from '../api.js';
import { ClientPinKey as K, ClientPinResponseKey as R } from '../commands.js';
import { asFields } from '../decode.js';
import { decodeRequestMap } from '../wire.js';

export interface ClientPinRequest {
  pinUvAuthProtocol?: number;
  subCommand: number;
  /** The platform's key-agreement COSE_Key, parsed by the protocol's decapsulate (§6.5.6). */
  keyAgreement?: CborMap;
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}

export function decodeClientPin(params: Uint8Array): ClientPinRequest {
  const f = asFields(decodeRequestMap(params), 'clientPIN');
  const req: ClientPinRequest = { subCommand: f.uint(K.subCommand) };
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  const keyAgreement = f.submap(K.keyAgreement, true);
  if (keyAgreement) req.keyAgreement = keyAgreement.map;
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  const newPinEnc = f.bytes(K.newPinEnc, true);
  if (newPinEnc) req.newPinEnc = newPinEnc;
  const pinHashEnc = f.bytes(K.pinHashEnc, true);
  if (pinHashEnc) req.pinHashEnc = pinHashEnc;
  const permissions = f.uint(K.permissions, true);
  if (permissions !== undefined) req.permissions = permissions;
  const rpId = f.text(K.rpId, true);
  if (rpId !== undefined) req.rpId = rpId;
  return req;
}

/** The response map, or undefined (status byte only) when it has no members. */
export function encodeClientPinResponse(r: ClientPinResponse): Uint8Array | undefined {
  const entries: Array<[number, Encodable | undefined]> = [
    [R.keyAgreement, r.keyAgreement],
    [R.pinUvAuthToken, r.pinUvAuthToken],
    [R.pinRetries, r.pinRetries],
    [R.powerCycleState, r.powerCycleState],
    [R.uvRetries, r.uvRetries],
  ];
  const present = entries.filter(([, v]) => v !== undefined);
  return present.length === 0 ? undefined : encode(new Map(present));
}
