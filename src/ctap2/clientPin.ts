/**
 * CTAP 2.1 §6.5 authenticatorClientPIN (0x06), both directions: field lists, key tables, subCommand
 * and permission values, and the four codecs. The exchanges built on them (setPIN, getPinUvAuthToken…)
 * are the platform's, in hostCodec.ts.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorClientPIN
 */

import { Command } from './commands.js';
import type { CoseKeyMap } from './pinUvAuthProtocol.js';
import {
  anyMap,
  bool,
  bytes,
  commandCodecs,
  encodeOptionalMap,
  keyTable,
  struct,
  text,
  uint,
  type Codec,
} from './wire.js';

/** §6.5 subCommand values. */
export const ClientPinSubCommand = {
  getPINRetries: 0x01,
  getKeyAgreement: 0x02,
  setPIN: 0x03,
  changePIN: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUVRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** §6.5.5.7 pinUvAuthToken permissions (bit flags). */
export const PinUvAuthTokenPermission = {
  mc: 0x01,
  ga: 0x02,
  cm: 0x04,
  be: 0x08,
  lbw: 0x10,
  acfg: 0x20,
  /** CTAP 2.3 §6.5.5.7: persistent credential management read-only (the persistent token). */
  pcmr: 0x40,
} as const;

export interface ClientPinRequest {
  pinUvAuthProtocol?: number;
  subCommand: number;
  /** The platform's key-agreement COSE_Key (its encapsulate; the authenticator's decapsulate reads it, §6.5.6). */
  keyAgreement?: CoseKeyMap;
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}

/** §6.5 response (every member optional; setPIN/changePIN answer the status byte only). */
export interface ClientPinResponse {
  /** The authenticator's key-agreement key, a COSE_Key. */
  keyAgreement?: CoseKeyMap;
  /** The pinUvAuthToken, encrypted to the shared secret. */
  pinUvAuthToken?: Uint8Array;
  pinRetries?: number;
  powerCycleState?: boolean;
  uvRetries?: number;
}

const coseKey: Codec<CoseKeyMap> = { decode: (v, path) => anyMap.decode(v, path), encode: (k) => k };

/** §6.5 request members, in the order the authenticator reads them (subCommand first). */
export const clientPinRequest = struct<ClientPinRequest>({
  subCommand: { key: 0x02, codec: uint },
  pinUvAuthProtocol: { key: 0x01, codec: uint, optional: true },
  keyAgreement: { key: 0x03, codec: coseKey, optional: true },
  pinUvAuthParam: { key: 0x04, codec: bytes, optional: true },
  newPinEnc: { key: 0x05, codec: bytes, optional: true },
  pinHashEnc: { key: 0x06, codec: bytes, optional: true },
  permissions: { key: 0x09, codec: uint, optional: true },
  rpId: { key: 0x0a, codec: text, optional: true },
});

/** §6.5 response members. */
export const clientPinResponse = struct<ClientPinResponse>({
  keyAgreement: { key: 0x01, codec: coseKey, optional: true },
  pinUvAuthToken: { key: 0x02, codec: bytes, optional: true },
  pinRetries: { key: 0x03, codec: uint, optional: true },
  powerCycleState: { key: 0x04, codec: bool, optional: true },
  uvRetries: { key: 0x05, codec: uint, optional: true },
});

/** §6.5 request keys. */
export const ClientPinKey = keyTable(clientPinRequest.members);
/** §6.5 response keys. */
export const ClientPinResponseKey = keyTable(clientPinResponse.members);

const codecs = commandCodecs(
  Command.authenticatorClientPIN,
  'clientPIN',
  clientPinRequest,
  clientPinResponse,
  encodeOptionalMap,
);
/** Platform: command byte ‖ request map. */
export const encodeClientPinRequest = codecs.encodeRequest;
/** Authenticator: the parameters after the command byte → the request, or the §6.5 status. */
export const decodeClientPinRequest = codecs.decodeRequest;
/** Authenticator: the response map, or undefined (status byte only) when it has no members. */
export const encodeClientPinResponse = codecs.encodeResponse;
/** Platform: status ‖ response map → the members present (none for setPIN/changePIN). */
export const decodeClientPinResponse = codecs.decodeResponse;
