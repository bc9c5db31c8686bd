/**
 * The platform's side of CTAP 2.1 §6.5 authenticatorClientPIN: the exchanges of each subCommand (the
 * wire format is clientPin.ts), used by our WebAuthn client, the benchmark and tests.
 */
import { concat } from '../encoding/bytes.js';
import { commandBytes } from './wire.js';
import { ClientPinSubCommand, type ClientPinRequest, type ClientPinResponse } from './clientPin.js';
import { padPin, pinHash, type CoseKeyMap, type PlatformPinUvAuthProtocol } from './pinUvAuthProtocol.js';

/** A command without parameters (reset, selection, getNextAssertion): the command byte alone. */
export const encodeSimpleCommand = (cmd: number): Uint8Array => commandBytes(cmd);

// ---------------------------------------------------------------------------------------------
// §6.5 authenticatorClientPIN

/** A clientPIN request ready to send, with the shared secret that decrypts its answer. */
export interface ClientPinExchange {
  params: ClientPinRequest;
  sharedSecret: Uint8Array;
}

/** getKeyAgreement (0x02) for `protocol`. */
export function getKeyAgreementParams(protocol: PlatformPinUvAuthProtocol): ClientPinRequest {
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
  const params: ClientPinRequest = {
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
  const params: ClientPinRequest = {
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
