/**
 * The platform's side of the CTAP 2.1 management commands: request encoders, response decoders and
 * the pinUvAuthParam each one needs, for tests, tools and the WebAuthn client.
 *   - §6.8 authenticatorCredentialManagement: authenticate(token, subCommand ‖ subCommandParams);
 *   - §6.10 authenticatorLargeBlobs: authenticate(token, 32×0xff ‖ h'0c00' ‖ uint32LE(offset) ‖ SHA-256(set)),
 *     and the serialized large-blob array (CBOR array ‖ LEFT(SHA-256(array), 16));
 *   - §6.11 authenticatorConfig: authenticate(token, 32×0xff ‖ 0x0d ‖ uint8(subCommand) ‖ subCommandParams).
 */
import { sha256 } from '../crypto/hash.js';
import { concat, equal } from '../encoding/bytes.js';
import { decode, encode, type CborValue, type Encodable } from '../encoding/cbor.js';
import { Command } from './commands.js';
import { responseBody } from './wire.js';
import type { PinUvAuthPrimitives } from './pinUvAuthProtocol.js';
import {
  ConfigSubCommand,
  configSubCommandParams,
  encodeAuthenticatorConfigRequest,
  type ConfigRequest,
  type SetMinPINLengthParams,
} from './authenticatorConfig.js';
import {
  CredentialManagementKey as CM,
  CredentialManagementParamKey as CMP,
  CredentialManagementResponseKey as CMR,
  type CredentialManagementResponse,
} from './requests/credentialManagement.js';
import { encodeLargeBlobsRequest, type LargeBlobsRequest } from './largeBlobs.js';
import type { PublicKeyCredentialUserEntity } from './entities.js';
import { CtapError, Status } from './status.js';

/** A pinUvAuthToken and the protocol it was issued under. */
export interface PinUvAuthSession {
  protocol: PinUvAuthPrimitives;
  pinUvAuthToken: Uint8Array;
}

function command(cmd: number, params: ReadonlyMap<number, Encodable | undefined>): Uint8Array {
  return concat(new Uint8Array([cmd]), encode(params));
}

const FF32 = new Uint8Array(32).fill(0xff);

// ---------------------------------------------------------------------------------------------
// §6.8 authenticatorCredentialManagement

export interface CredentialManagementParams {
  subCommand: number;
  rpIDHash?: Uint8Array;
  credentialID?: Uint8Array;
  user?: PublicKeyCredentialUserEntity;
}

/** The subCommandParams map of a request (undefined when the subcommand has none). */
function credentialManagementSubCommandParams(p: CredentialManagementParams): Map<number, Encodable> | undefined {
  const m = new Map<number, Encodable>();
  if (p.rpIDHash) m.set(CMP.rpIDHash, p.rpIDHash);
  if (p.credentialID) m.set(CMP.credentialID, { id: p.credentialID, type: 'public-key' });
  if (p.user) m.set(CMP.user, { id: p.user.id, name: p.user.name, displayName: p.user.displayName });
  return m.size > 0 ? m : undefined;
}

/**
 * A credentialManagement request (command 0x0A, or 0x41 with `preview`). With a session, pinUvAuthParam
 * authenticates subCommand ‖ subCommandParams (the GetNext subcommands are sent without one).
 */
export function encodeCredentialManagementRequest(
  p: CredentialManagementParams,
  session?: PinUvAuthSession,
  preview = false,
): Uint8Array {
  const sub = credentialManagementSubCommandParams(p);
  const message = concat(new Uint8Array([p.subCommand]), sub ? encode(sub) : new Uint8Array(0));
  return command(
    preview ? Command.authenticatorCredentialManagementPreview : Command.authenticatorCredentialManagement,
    new Map<number, Encodable | undefined>([
      [CM.subCommand, p.subCommand],
      [CM.subCommandParams, sub],
      [CM.pinUvAuthProtocol, session?.protocol.version],
      [CM.pinUvAuthParam, session && session.protocol.authenticate(session.pinUvAuthToken, message)],
    ]),
  );
}

export function decodeCredentialManagementResponse(response: Uint8Array): CredentialManagementResponse {
  const m = responseBody(response);
  const out: CredentialManagementResponse = {};
  if (!m) return out;
  const num = (k: number) => (typeof m.get(k) === 'number' ? (m.get(k) as number) : undefined);
  const assign = <K extends keyof CredentialManagementResponse>(
    key: K,
    value: CredentialManagementResponse[K] | undefined,
  ) => {
    if (value !== undefined) out[key] = value;
  };
  assign('existingResidentCredentialsCount', num(CMR.existingResidentCredentialsCount));
  assign('maxPossibleRemainingResidentCredentialsCount', num(CMR.maxPossibleRemainingResidentCredentialsCount));
  const rp = m.get(CMR.rp);
  if (rp instanceof Map)
    out.rp = {
      id: rp.get('id') as string,
      ...(typeof rp.get('name') === 'string' && { name: rp.get('name') as string }),
    };
  const rpIDHash = m.get(CMR.rpIDHash);
  if (rpIDHash instanceof Uint8Array) out.rpIDHash = rpIDHash;
  assign('totalRPs', num(CMR.totalRPs));
  const user = m.get(CMR.user);
  if (user instanceof Map) {
    out.user = { id: user.get('id') as Uint8Array };
    if (typeof user.get('name') === 'string') out.user.name = user.get('name') as string;
    if (typeof user.get('displayName') === 'string') out.user.displayName = user.get('displayName') as string;
  }
  const cred = m.get(CMR.credentialID);
  if (cred instanceof Map) out.credentialID = { type: 'public-key', id: cred.get('id') as Uint8Array };
  const publicKey = m.get(CMR.publicKey);
  if (publicKey instanceof Map) out.publicKey = publicKey;
  assign('totalCredentials', num(CMR.totalCredentials));
  assign('credProtect', num(CMR.credProtect));
  const lbk = m.get(CMR.largeBlobKey);
  if (lbk instanceof Uint8Array) out.largeBlobKey = lbk;
  const payment = m.get(CMR.thirdPartyPayment);
  if (typeof payment === 'boolean') out.thirdPartyPayment = payment;
  return out;
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
