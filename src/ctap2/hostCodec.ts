/**
 * The platform's side of the CTAP2 wire format: request encoders and response decoders, used by
 * our WebAuthn client, the benchmark and tests (CTAP 2.1 §6.1, §6.2, §6.4).
 */
import { decode, encode, type CborMap, type CborValue, type Encodable } from '../encoding/cbor.js';
import { concat } from '../encoding/bytes.js';
import type { ClientPinResponse, GetAssertionResponse, GetInfoResponse, MakeCredentialResponse } from './api.js';
import {
  ClientPinKey as CP,
  ClientPinResponseKey as CPR,
  ClientPinSubCommand,
  Command,
  GetAssertionKey as GA,
  GetAssertionResponseKey as GAR,
  GetInfoKey as GI,
  MakeCredentialKey as MC,
  MakeCredentialResponseKey as MCR,
} from './commands.js';
import type { CredentialDescriptor } from './decode.js';
import { padPin, pinHash, type CoseKeyMap, type PlatformPinUvAuthProtocol } from './pinUvAuthProtocol.js';
import type {
  PublicKeyCredentialParameters,
  PublicKeyCredentialRpEntity,
  PublicKeyCredentialUserEntity,
} from './requests/makeCredential.js';
import { CtapError, Status } from './status.js';

export interface MakeCredentialParams {
  clientDataHash: Uint8Array;
  rp: PublicKeyCredentialRpEntity;
  user: PublicKeyCredentialUserEntity;
  pubKeyCredParams: PublicKeyCredentialParameters[];
  excludeList?: CredentialDescriptor[];
  extensions?: ReadonlyMap<string, Encodable>;
  options?: Record<string, boolean>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  enterpriseAttestation?: number;
  /** CTAP 2.3 §6.1 (0x0B). */
  attestationFormatsPreference?: string[];
}

export interface GetAssertionParams {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  extensions?: ReadonlyMap<string, Encodable>;
  options?: Record<string, boolean>;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

const descriptor = (d: CredentialDescriptor) => ({ id: d.id, type: d.type, transports: d.transports });

function command(cmd: number, params?: ReadonlyMap<number, Encodable | undefined>): Uint8Array {
  const body = params ? encode(params) : new Uint8Array(0);
  const out = new Uint8Array(1 + body.length);
  out[0] = cmd;
  out.set(body, 1);
  return out;
}

export function encodeMakeCredentialRequest(p: MakeCredentialParams): Uint8Array {
  return command(
    Command.authenticatorMakeCredential,
    new Map<number, Encodable | undefined>([
      [MC.clientDataHash, p.clientDataHash],
      [MC.rp, { id: p.rp.id, name: p.rp.name }],
      [MC.user, { id: p.user.id, name: p.user.name, displayName: p.user.displayName }],
      [MC.pubKeyCredParams, p.pubKeyCredParams.map((c) => ({ alg: c.alg, type: c.type }))],
      [MC.excludeList, p.excludeList?.map(descriptor)],
      [MC.extensions, p.extensions],
      [MC.options, p.options],
      [MC.pinUvAuthParam, p.pinUvAuthParam],
      [MC.pinUvAuthProtocol, p.pinUvAuthProtocol],
      [MC.enterpriseAttestation, p.enterpriseAttestation],
      [MC.attestationFormatsPreference, p.attestationFormatsPreference],
    ]),
  );
}

export function encodeGetAssertionRequest(p: GetAssertionParams): Uint8Array {
  return command(
    Command.authenticatorGetAssertion,
    new Map<number, Encodable | undefined>([
      [GA.rpId, p.rpId],
      [GA.clientDataHash, p.clientDataHash],
      [GA.allowList, p.allowList?.map(descriptor)],
      [GA.extensions, p.extensions],
      [GA.options, p.options],
      [GA.pinUvAuthParam, p.pinUvAuthParam],
      [GA.pinUvAuthProtocol, p.pinUvAuthProtocol],
    ]),
  );
}

export const encodeSimpleCommand = (cmd: number): Uint8Array => command(cmd);

/** Responses may nest deeper than requests: compound attStmt → statement → attStmt → x5c (WebAuthn L3 §8.9). */
const RESPONSE_MAX_DEPTH = 8;

/** Splits status ‖ CBOR; throws CtapError for a non-zero status. */
export function responseBody(response: Uint8Array): CborMap | undefined {
  if (response.length === 0) throw new CtapError(Status.CTAP1_ERR_OTHER, 'empty response');
  if (response[0] !== 0) throw new CtapError(response[0]!);
  if (response.length === 1) return undefined;
  const value = decode(response.subarray(1), RESPONSE_MAX_DEPTH);
  if (!(value instanceof Map)) throw new CtapError(Status.CTAP2_ERR_INVALID_CBOR, 'response is not a map');
  return value;
}

const req = <T extends CborValue>(m: CborMap, key: number): T => {
  const v = m.get(key);
  if (v === undefined) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, `response member ${key}`);
  return v as T;
};

export function decodeMakeCredentialResponse(response: Uint8Array): MakeCredentialResponse {
  const m = responseBody(response)!;
  const out: MakeCredentialResponse = {
    fmt: req<string>(m, MCR.fmt),
    authData: req<Uint8Array>(m, MCR.authData),
    attStmt: req<CborMap | CborValue[]>(m, MCR.attStmt) as ReadonlyMap<string, Encodable> | readonly Encodable[],
  };
  const ep = m.get(MCR.epAtt);
  if (typeof ep === 'boolean') out.epAtt = ep;
  const lbk = m.get(MCR.largeBlobKey);
  if (lbk instanceof Uint8Array) out.largeBlobKey = lbk;
  return out;
}

/**
 * CTAP 2.1 §6.2.2: the authenticator "MAY omit" credential (0x01) when the allowList had exactly
 * one entry; pass that allowList and the credential is filled in from it.
 */
export function decodeGetAssertionResponse(
  response: Uint8Array,
  allowList?: readonly CredentialDescriptor[],
): GetAssertionResponse {
  const m = responseBody(response)!;
  const cred = m.get(GAR.credential);
  let id: Uint8Array;
  if (cred instanceof Map && cred.get('id') instanceof Uint8Array) id = cred.get('id') as Uint8Array;
  else if (cred === undefined && allowList?.length === 1) id = allowList[0]!.id;
  else throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, `response member ${GAR.credential}`);
  const out: GetAssertionResponse = {
    credential: { type: 'public-key', id },
    authData: req<Uint8Array>(m, GAR.authData),
    signature: req<Uint8Array>(m, GAR.signature),
  };
  const user = m.get(GAR.user);
  if (user instanceof Map) {
    out.user = { id: user.get('id') as Uint8Array };
    if (typeof user.get('name') === 'string') out.user.name = user.get('name') as string;
    if (typeof user.get('displayName') === 'string') out.user.displayName = user.get('displayName') as string;
  }
  const n = m.get(GAR.numberOfCredentials);
  if (typeof n === 'number') out.numberOfCredentials = n;
  const sel = m.get(GAR.userSelected);
  if (typeof sel === 'boolean') out.userSelected = sel;
  const lbk = m.get(GAR.largeBlobKey);
  if (lbk instanceof Uint8Array) out.largeBlobKey = lbk;
  return out;
}

export function decodeGetInfoResponse(response: Uint8Array): GetInfoResponse & { raw: CborMap } {
  const m = responseBody(response)!;
  const get = <T>(k: number) => m.get(k) as T | undefined;
  const options = get<CborMap>(GI.options);
  const out: GetInfoResponse & { raw: CborMap } = {
    raw: m,
    versions: req<string[]>(m, GI.versions),
    aaguid: req<Uint8Array>(m, GI.aaguid),
  };
  const assign = <K extends keyof GetInfoResponse>(key: K, value: GetInfoResponse[K] | undefined) => {
    if (value !== undefined) (out as GetInfoResponse)[key] = value;
  };
  assign('extensions', get<string[]>(GI.extensions));
  if (options) assign('options', Object.fromEntries(options) as Record<string, boolean>);
  assign('maxMsgSize', get<number>(GI.maxMsgSize));
  assign('pinUvAuthProtocols', get<number[]>(GI.pinUvAuthProtocols));
  assign('maxCredentialCountInList', get<number>(GI.maxCredentialCountInList));
  assign('maxCredentialIdLength', get<number>(GI.maxCredentialIdLength));
  assign('transports', get<string[]>(GI.transports));
  const algs = get<CborMap[]>(GI.algorithms);
  if (algs) out.algorithms = algs.map((a) => ({ type: 'public-key' as const, alg: a.get('alg') as number }));
  assign('maxSerializedLargeBlobArray', get<number>(GI.maxSerializedLargeBlobArray));
  assign('forcePINChange', get<boolean>(GI.forcePINChange));
  assign('minPINLength', get<number>(GI.minPINLength));
  assign('firmwareVersion', get<number>(GI.firmwareVersion));
  assign('maxCredBlobLength', get<number>(GI.maxCredBlobLength));
  assign('maxRPIDsForSetMinPINLength', get<number>(GI.maxRPIDsForSetMinPINLength));
  assign('remainingDiscoverableCredentials', get<number>(GI.remainingDiscoverableCredentials));
  assign('attestationFormats', get<string[]>(GI.attestationFormats));
  assign('uvCountSinceLastPinEntry', get<number>(GI.uvCountSinceLastPinEntry));
  assign('longTouchForReset', get<boolean>(GI.longTouchForReset));
  assign('encIdentifier', get<Uint8Array>(GI.encIdentifier));
  assign('transportsForReset', get<string[]>(GI.transportsForReset));
  assign('pinComplexityPolicy', get<boolean>(GI.pinComplexityPolicy));
  assign('pinComplexityPolicyURL', get<Uint8Array>(GI.pinComplexityPolicyURL));
  assign('maxPINLength', get<number>(GI.maxPINLength));
  assign('encCredStoreState', get<Uint8Array>(GI.encCredStoreState));
  assign('authenticatorConfigCommands', get<number[]>(GI.authenticatorConfigCommands));
  return out;
}

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
