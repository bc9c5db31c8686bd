/**
 * The platform's side of CTAP 2.1 §6.5 authenticatorClientPIN: request encoder, response decoder and
 * the exchanges of each subCommand, used by our WebAuthn client, the benchmark and tests.
 */
import { encode, type CborValue, type Encodable } from '../encoding/cbor.js';
import { concat } from '../encoding/bytes.js';
import type { ClientPinResponse } from './api.js';
import { ClientPinKey as CP, ClientPinResponseKey as CPR, ClientPinSubCommand, Command } from './commands.js';
import { responseBody } from './wire.js';
import { padPin, pinHash, type CoseKeyMap, type PlatformPinUvAuthProtocol } from './pinUvAuthProtocol.js';

const command = (cmd: number, params?: ReadonlyMap<number, Encodable | undefined>): Uint8Array => {
  const body = params ? encode(params) : new Uint8Array(0);
  const out = new Uint8Array(1 + body.length);
  out[0] = cmd;
  out.set(body, 1);
  return out;
};

export const encodeSimpleCommand = (cmd: number): Uint8Array => command(cmd);

// ---------------------------------------------------------------------------------------------
// §6.5 authenticatorClientPIN

export interface ClientPinParams {
  pinUvAuthProtocol?: number;
  subCommand: number;
  /** The platform's key-agreement COSE_Key (from encapsulate). */
  keyAgreement?: CoseKeyMap;
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}

export function encodeClientPinRequest(p: ClientPinParams): Uint8Array {
  return command(
    Command.authenticatorClientPIN,
    new Map<number, Encodable | undefined>([
      [CP.pinUvAuthProtocol, p.pinUvAuthProtocol],
      [CP.subCommand, p.subCommand],
      [CP.keyAgreement, p.keyAgreement],
      [CP.pinUvAuthParam, p.pinUvAuthParam],
      [CP.newPinEnc, p.newPinEnc],
      [CP.pinHashEnc, p.pinHashEnc],
      [CP.permissions, p.permissions],
      [CP.rpId, p.rpId],
    ]),
  );
}

/** The response members present (none for setPIN/changePIN); throws CtapError for an error status. */
export function decodeClientPinResponse(response: Uint8Array): ClientPinResponse {
  const m = responseBody(response);
  const out: ClientPinResponse = {};
  if (!m) return out;
  const ka = m.get(CPR.keyAgreement);
  if (ka instanceof Map) out.keyAgreement = ka as Map<number, CborValue>;
  const token = m.get(CPR.pinUvAuthToken);
  if (token instanceof Uint8Array) out.pinUvAuthToken = token;
  const pinRetries = m.get(CPR.pinRetries);
  if (typeof pinRetries === 'number') out.pinRetries = pinRetries;
  const pcs = m.get(CPR.powerCycleState);
  if (typeof pcs === 'boolean') out.powerCycleState = pcs;
  const uvRetries = m.get(CPR.uvRetries);
  if (typeof uvRetries === 'number') out.uvRetries = uvRetries;
  return out;
}

/** A clientPIN request ready to send, with the shared secret that decrypts its answer. */
export interface ClientPinExchange {
  params: ClientPinParams;
  sharedSecret: Uint8Array;
}

/** getKeyAgreement (0x02) for `protocol`. */
export function getKeyAgreementParams(protocol: PlatformPinUvAuthProtocol): ClientPinParams {
  return { pinUvAuthProtocol: protocol.version, subCommand: ClientPinSubCommand.getKeyAgreement };
}

/** setPIN (0x03): newPinEnc = encrypt(paddedNewPin), pinUvAuthParam = authenticate(newPinEnc). */
export function setPinParams(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
  newPin: string,
): ClientPinExchange {
  const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
  const newPinEnc = protocol.encrypt(sharedSecret, padPin(newPin));
  return {
    params: {
      pinUvAuthProtocol: protocol.version,
      subCommand: ClientPinSubCommand.setPIN,
      keyAgreement,
      newPinEnc,
      pinUvAuthParam: protocol.authenticate(sharedSecret, newPinEnc),
    },
    sharedSecret,
  };
}

/** changePIN (0x04): pinUvAuthParam = authenticate(newPinEnc ‖ pinHashEnc). */
export function changePinParams(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
  currentPin: string,
  newPin: string,
): ClientPinExchange {
  const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
  const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(currentPin));
  const newPinEnc = protocol.encrypt(sharedSecret, padPin(newPin));
  return {
    params: {
      pinUvAuthProtocol: protocol.version,
      subCommand: ClientPinSubCommand.changePIN,
      keyAgreement,
      pinHashEnc,
      newPinEnc,
      pinUvAuthParam: protocol.authenticate(sharedSecret, concat(newPinEnc, pinHashEnc)),
    },
    sharedSecret,
  };
}

/** getPinToken (0x05, superseded): a token with mc and ga. */
export function getPinTokenParams(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
  pin: string,
): ClientPinExchange {
  const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
  return {
    params: {
      pinUvAuthProtocol: protocol.version,
      subCommand: ClientPinSubCommand.getPinToken,
      keyAgreement,
      pinHashEnc: protocol.encrypt(sharedSecret, pinHash(pin)),
    },
    sharedSecret,
  };
}

/** getPinUvAuthTokenUsingPinWithPermissions (0x09). */
export function getPinUvAuthTokenUsingPinParams(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
  pin: string,
  permissions: number,
  rpId?: string,
): ClientPinExchange {
  const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
  const params: ClientPinParams = {
    pinUvAuthProtocol: protocol.version,
    subCommand: ClientPinSubCommand.getPinUvAuthTokenUsingPinWithPermissions,
    keyAgreement,
    pinHashEnc: protocol.encrypt(sharedSecret, pinHash(pin)),
    permissions,
  };
  if (rpId !== undefined) params.rpId = rpId;
  return { params, sharedSecret };
}

/** getPinUvAuthTokenUsingUvWithPermissions (0x06). */
export function getPinUvAuthTokenUsingUvParams(
  protocol: PlatformPinUvAuthProtocol,
  authenticatorKey: CoseKeyMap,
  permissions: number,
  rpId?: string,
): ClientPinExchange {
  const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
  const params: ClientPinParams = {
    pinUvAuthProtocol: protocol.version,
    subCommand: ClientPinSubCommand.getPinUvAuthTokenUsingUvWithPermissions,
    keyAgreement,
    permissions,
  };
  if (rpId !== undefined) params.rpId = rpId;
  return { params, sharedSecret };
}

/** The pinUvAuthToken from a token-issuing response (undefined when it does not decrypt). */
export function decryptPinUvAuthToken(
  protocol: PlatformPinUvAuthProtocol,
  sharedSecret: Uint8Array,
  response: ClientPinResponse,
): Uint8Array | undefined {
  return response.pinUvAuthToken && protocol.decrypt(sharedSecret, response.pinUvAuthToken);
}

/** pinUvAuthParam for makeCredential/getAssertion: authenticate(pinUvAuthToken, clientDataHash). */
export function pinUvAuthParamFor(
  protocol: PlatformPinUvAuthProtocol,
  pinUvAuthToken: Uint8Array,
  clientDataHash: Uint8Array,
): Uint8Array {
  return protocol.authenticate(pinUvAuthToken, clientDataHash);
}
