/**
 * The platform's side of the PIN/UV-authenticated commands (the wire formats are each command's module):
 *   - §6.5 authenticatorClientPIN: the exchanges of each subCommand (clientPin.ts);
 *   - §6.8 authenticatorCredentialManagement: authenticate(token, subCommand ‖ subCommandParams)
 *     (credentialManagement.ts);
 *   - §6.10 authenticatorLargeBlobs: authenticate(token, 32×0xff ‖ h'0c00' ‖ uint32LE(offset) ‖ SHA-256(set)),
 *     and the serialized large-blob array (CBOR array ‖ LEFT(SHA-256(array), 16)) (largeBlobs.ts);
 *   - §6.11 authenticatorConfig: authenticate(token, 32×0xff ‖ 0x0d ‖ uint8(subCommand) ‖ subCommandParams)
 *     (authenticatorConfig.ts).
 * Used by our WebAuthn client, the benchmark, the fuzzer and tests.
 */
import { sha256 } from '../crypto/hash.js';
import { concat, equal } from '../encoding/bytes.js';
import { decode, encode, type CborValue, type Encodable } from '../encoding/cbor.js';
import {
  ConfigSubCommand,
  configSubCommandParams,
  encodeAuthenticatorConfigRequest,
  type ConfigRequest,
  type SetMinPINLengthParams,
} from './authenticatorConfig.js';
import { ClientPinSubCommand, type ClientPinRequest, type ClientPinResponse } from './clientPin.js';
import {
  credentialManagementAuthMessage,
  encodeCredentialManagementRequest,
  type CredentialManagementCommand,
  type CredentialManagementRequest,
} from './credentialManagement.js';
import { encodeLargeBlobsRequest, type LargeBlobsRequest } from './largeBlobs.js';
import {
  padPin,
  pinHash,
  type CoseKeyMap,
  type PinUvAuthPrimitives,
  type PlatformPinUvAuthProtocol,
} from './pinUvAuthProtocol.js';
import { CtapError, Status } from './status.js';
import { commandBytes } from './wire.js';

/** A pinUvAuthToken and the protocol it was issued under. */
export interface PinUvAuthSession {
  protocol: PinUvAuthPrimitives;
  pinUvAuthToken: Uint8Array;
}

const FF32 = new Uint8Array(32).fill(0xff);

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

// ---------------------------------------------------------------------------------------------
// §6.8 authenticatorCredentialManagement

/**
 * A credentialManagement request ready to send (0x0A, or 0x41 for the prototype): with a session,
 * pinUvAuthParam = authenticate(pinUvAuthToken, subCommand ‖ subCommandParams); the GetNext
 * subcommands go without one.
 */
export function encodeCredentialManagementCall(
  req: CredentialManagementRequest,
  session?: PinUvAuthSession,
  command?: CredentialManagementCommand,
): Uint8Array {
  const signed: CredentialManagementRequest = session
    ? {
        ...req,
        pinUvAuthProtocol: session.protocol.version,
        pinUvAuthParam: session.protocol.authenticate(session.pinUvAuthToken, credentialManagementAuthMessage(req)),
      }
    : req;
  return encodeCredentialManagementRequest(signed, command);
}

// ---------------------------------------------------------------------------------------------
// §6.10 authenticatorLargeBlobs

/** A read of up to `get` bytes at `offset`. */
export function encodeLargeBlobsGet(offset: number, get: number): Uint8Array {
  return encodeLargeBlobsRequest({ get, offset });
}

/** The message a write fragment's pinUvAuthParam authenticates. */
export function largeBlobsSetMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const le = new Uint8Array(4);
  new DataView(le.buffer).setUint32(0, offset, true);
  return concat(FF32, new Uint8Array([0x0c, 0x00]), le, sha256(fragment));
}

/** One write fragment; `length` (the total) goes with offset 0 only. */
export function encodeLargeBlobsSet(
  offset: number,
  fragment: Uint8Array,
  length?: number,
  session?: PinUvAuthSession,
): Uint8Array {
  const req: LargeBlobsRequest = { set: fragment, offset };
  if (length !== undefined) req.length = length;
  if (session) {
    req.pinUvAuthParam = session.protocol.authenticate(session.pinUvAuthToken, largeBlobsSetMessage(offset, fragment));
    req.pinUvAuthProtocol = session.protocol.version;
  }
  return encodeLargeBlobsRequest(req);
}

/** The write requests of a whole serialized array, in fragments of at most maxFragmentLength. */
export function encodeLargeBlobsWrite(
  serialized: Uint8Array,
  maxFragmentLength: number,
  session?: PinUvAuthSession,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < serialized.length; offset += maxFragmentLength) {
    const fragment = serialized.subarray(offset, offset + maxFragmentLength);
    out.push(encodeLargeBlobsSet(offset, fragment, offset === 0 ? serialized.length : undefined, session));
  }
  return out;
}

/** CBOR array ‖ LEFT(SHA-256(array), 16). */
export function serializeLargeBlobArray(entries: readonly Encodable[]): Uint8Array {
  const body = encode(entries);
  return concat(body, sha256(body).slice(0, 16));
}

/** The entries of a serialized large-blob array; CTAP2_ERR_INTEGRITY_FAILURE when the trailer is wrong. */
export function parseLargeBlobArray(serialized: Uint8Array): CborValue[] {
  const body = serialized.subarray(0, serialized.length - 16);
  if (serialized.length < 17 || !equal(sha256(body).subarray(0, 16), serialized.subarray(serialized.length - 16))) {
    throw new CtapError(Status.CTAP2_ERR_INTEGRITY_FAILURE, 'large-blob array trailer');
  }
  const value = decode(body);
  if (!Array.isArray(value)) throw new CtapError(Status.CTAP2_ERR_INVALID_CBOR, 'large-blob array is not an array');
  return value;
}

// ---------------------------------------------------------------------------------------------
// §6.11 authenticatorConfig

/** An authenticatorConfig request; subCommandParams only for setMinPINLength (when it has any). */
export function encodeConfigRequest(
  subCommand: number,
  session?: PinUvAuthSession,
  minPinLength?: SetMinPINLengthParams,
): Uint8Array {
  const req: ConfigRequest = { subCommand };
  if (subCommand === ConfigSubCommand.setMinPINLength && minPinLength) req.setMinPINLength = minPinLength;
  if (session) {
    const sub = configSubCommandParams(req);
    const message = concat(FF32, new Uint8Array([0x0d, subCommand & 0xff]), sub ? encode(sub) : new Uint8Array(0));
    req.pinUvAuthProtocol = session.protocol.version;
    req.pinUvAuthParam = session.protocol.authenticate(session.pinUvAuthToken, message);
  }
  return encodeAuthenticatorConfigRequest(req);
}
