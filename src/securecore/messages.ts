/**
 * The messages between softkey's front process and its secure core (docs/split.md).
 *
 * Seed 004 ("FIDO2 messages details" of a device whose transport MCU and secure MCU exchange
 * fixed-layout FIDO2 messages) gives the six messages 0x0001–0x0006 byte for byte from byte 8 on.
 * Before byte 8, the envelope of that firmware:
 *   bytes 0–1 message type 0x0009 (FIDO2), 2–3 payload length (bytes from byte 4 to the end),
 *   bytes 4–5 FIDO2 message type, 6–7 reserved (zero).
 * Integers are little-endian except the counts the seed marks "BE". Messages 0x0101–0x0119 and
 * 0x01FE are softkey's extension set, same envelope and style, for what the seed's messages cannot
 * carry; 0x0113–0x0116 carry a whole CTAP2 command or an APDU as a length-prefixed body.
 * 0x0117–0x0119 are the only messages the core starts: a prompt for the user, shown by the front
 * (`--presence panel`), answered by the front, or withdrawn by the core (docs/split.md "Prompts").
 */
export { truncateUtf8 } from './layout.js';
import { utf8 } from '../encoding/bytes.js';
import {
  SecureCoreMessageError,
  checkRange,
  checkZero,
  getBytes,
  getSized,
  getText,
  getU16le,
  getU32be,
  getU32le,
  putBytes,
  putSized,
  putText,
  putU16le,
  putU32be,
  putU32le,
} from './layout.js';

export { SecureCoreMessageError } from './layout.js';

export const ENVELOPE_FIDO2 = 0x0009;
export const HEADER_LENGTH = 8;
export const CREDENTIAL_ID_LENGTH = 16;
export const MAX_ALLOW_LIST = 10;
export const USER_HANDLE_SIZE = 64;
export const RPID_SIZE = 252;
export const USER_NAME_SIZE = 65;
/** Variable parts of the extension messages (bytes); keeps every message under 64 KiB. */
export const MAX_PUBLIC_KEY_LENGTH = 1024;
export const MAX_SIGNATURE_LENGTH = 1024;
export const MAX_CERTIFICATE_LENGTH = 4096;

export const Fido2MessageType = {
  authenticateCredentialRequest: 0x0001,
  authenticateCredentialResponse: 0x0002,
  makeCredentialRequest: 0x0003,
  makeCredentialResponse: 0x0004,
  getAssertionRequest: 0x0005,
  getAssertionResponse: 0x0006,
  // softkey's extension set
  deviceInfoRequest: 0x0101,
  deviceInfoResponse: 0x0102,
  makeCredentialExRequest: 0x0103,
  makeCredentialExResponse: 0x0104,
  getAssertionExRequest: 0x0105,
  getAssertionExResponse: 0x0106,
  getNextAssertionRequest: 0x0107,
  getNextAssertionResponse: 0x0108,
  resetRequest: 0x0109,
  resetResponse: 0x010a,
  powerCycleRequest: 0x010b,
  powerCycleResponse: 0x010c,
  selectionRequest: 0x010d,
  selectionResponse: 0x010e,
  /** CTAPHID_CANCEL reached the front: ends the prompt of the request in progress. No answer. */
  cancelRequest: 0x010f,
  clientPinRequest: 0x0111,
  clientPinResponse: 0x0112,
  /** A whole CTAP2 command for the core's own implementation (command byte + CBOR parameters). */
  ctap2CommandRequest: 0x0113,
  ctap2CommandResponse: 0x0114,
  /** An APDU for one of the core's applications (CTAP1/U2F over CTAPHID_MSG, the Filecoin app). */
  apduRequest: 0x0115,
  apduResponse: 0x0116,
  /** Core → front, while a request waits for the user: show this prompt (it names the RP or the transaction). */
  promptRequest: 0x0117,
  /** Front → core: the user's answer to a prompt (or its timeout). */
  promptResponse: 0x0118,
  /** Core → front: the prompt is no longer waited for (CTAPHID_CANCEL reached the core); take it off the screen. */
  promptCancel: 0x0119,
  /** The core's answer to a request it could not decode or answer in the request's own response. */
  errorResponse: 0x01fe,
} as const;
export type MessageName = keyof typeof Fido2MessageType;

/**
 * Error codes. 0–3 are the seed's make-credential codes, 0–4 its get-assertion codes (3 is "N/A"
 * there; softkey's core answers 3 to a seed get assertion whose signature does not fit the seed's
 * 64-byte field, and the front asks again with getAssertionEx). 5–10 are the extension set's.
 */
export const ErrorCode = {
  success: 0x00,
  operationDenied: 0x01,
  userNotPresent: 0x02,
  storageExhausted: 0x03,
  notApplicable: 0x03,
  noCredentials: 0x04,
  notAllowed: 0x05,
  unsupportedAlgorithm: 0x06,
  invalidRequest: 0x07,
  other: 0x08,
  cancelled: 0x09,
  /** errorResponse only: the CTAP status in its byte 9 is the answer (PIN and UV errors). */
  ctapStatus: 0x0a,
} as const;
const MAX_SEED_MAKE_CREDENTIAL_ERROR = 0x03;
const MAX_SEED_GET_ASSERTION_ERROR = 0x04;
const MAX_EXT_ERROR = 0x0a;
/** Variable part of 0x0113–0x0116: the envelope's 16-bit length minus the fixed part. */
export const MAX_BODY_LENGTH = 0xffff + 4 - 12;

/** Applications an apduRequest addresses (byte 8). */
export const ApduApplication = { u2f: 0, filecoin: 1 } as const;

/** Attestation the core makes (deviceInfoResponse byte 24). */
export const AttestationKind = { none: 0, self: 1, basic: 2 } as const;

export interface AuthenticateCredentialRequest {
  type: 'authenticateCredentialRequest';
  rpId: string;
  credentialId: Uint8Array;
}
export interface AuthenticateCredentialResponse {
  type: 'authenticateCredentialResponse';
  credentialId: Uint8Array;
  userHandle: Uint8Array;
  /** Result 0x01: the authenticator has the credential. */
  found: boolean;
}
export interface MakeCredentialRequest {
  type: 'makeCredentialRequest';
  rpId: string;
  userHandle: Uint8Array;
  userName: string;
  displayName: string;
  clientDataHash: Uint8Array;
}
export interface MakeCredentialResponse {
  type: 'makeCredentialResponse';
  credentialId: Uint8Array;
  rpIdHash: Uint8Array;
  count: number;
  flags: number;
  x: Uint8Array;
  y: Uint8Array;
  /** ECDSA P-256 r ‖ s (32 + 32 bytes). */
  attestSignature: Uint8Array;
  aaguid: Uint8Array;
  credentialIdLength: number;
  errorCode: number;
}
export interface GetAssertionRequest {
  type: 'getAssertionRequest';
  rpId: string;
  clientDataHash: Uint8Array;
  allowList: Uint8Array[];
  /** Flags 0x01: silent get assertion, do not prompt the user. */
  silent: boolean;
}
export interface GetAssertionExRequest extends Omit<GetAssertionRequest, 'type'> {
  type: 'getAssertionExRequest';
  pinUvAuth?: PinUvAuth;
}
export interface GetAssertionResponse {
  type: 'getAssertionResponse';
  credentialId: Uint8Array;
  userHandle: Uint8Array;
  rpIdHash: Uint8Array;
  count: number;
  flags: number;
  attestSignature: Uint8Array;
  aaguid: Uint8Array;
  errorCode: number;
}
export interface DeviceInfoResponse {
  type: 'deviceInfoResponse';
  aaguid: Uint8Array;
  attestation: number;
  /** DER X.509 attestation certificate (empty unless attestation is basic). */
  certificate: Uint8Array;
  /** A PIN is set (getInfo's clientPin option). */
  pinSet: boolean;
}

/** pinUvAuthParam and its protocol, as the platform sent them (a zero-length param is the probe of §6.1.2 step 1). */
export interface PinUvAuth {
  protocol: number;
  param: Uint8Array;
}
export interface MakeCredentialExRequest extends Omit<MakeCredentialRequest, 'type'> {
  type: 'makeCredentialExRequest';
  /** COSE algorithm identifier (signed 32-bit). */
  alg: number;
  /** Store as a discoverable credential. */
  rk: boolean;
  pinUvAuth?: PinUvAuth;
  /** excludeList: at most ten 16-byte credential IDs (CTAP 2.1 §6.1.2 step 12 runs in the core). */
  excludeList: Uint8Array[];
  /** The RP's name ('' none), kept with a discoverable credential (§6.8 credentialManagement). */
  rpName: string;
}
export interface MakeCredentialExResponse {
  type: 'makeCredentialExResponse';
  credentialId: Uint8Array;
  rpIdHash: Uint8Array;
  count: number;
  flags: number;
  aaguid: Uint8Array;
  errorCode: number;
  /** COSE_Key bytes. */
  publicKey: Uint8Array;
  /** The attestation statement's sig, as CTAP carries it (DER ECDSA, raw Ed25519, PKCS#1). */
  signature: Uint8Array;
}
export interface AssertionExResponse {
  type: 'getAssertionExResponse' | 'getNextAssertionResponse';
  credentialId: Uint8Array;
  userHandle: Uint8Array;
  rpIdHash: Uint8Array;
  count: number;
  flags: number;
  errorCode: number;
  numberOfCredentials: number;
  /** Given with user verification only (CTAP 2.1 §6.2.2 step 12); '' otherwise. */
  userName: string;
  displayName: string;
  /** As CTAP carries it (DER ECDSA, raw Ed25519, PKCS#1). */
  signature: Uint8Array;
}
export interface ClientPinRequest {
  type: 'clientPinRequest';
  /** 0: absent. */
  pinUvAuthProtocol: number;
  subCommand: number;
  /** The platform's P-256 key-agreement point. */
  keyAgreement?: { x: Uint8Array; y: Uint8Array };
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}
export interface ClientPinResponse {
  type: 'clientPinResponse';
  /** CTAP status of the subcommand (0 = success): clientPIN's errors are CTAP's own. */
  status: number;
  keyAgreement?: { x: Uint8Array; y: Uint8Array };
  pinUvAuthToken?: Uint8Array;
  pinRetries?: number;
  powerCycleState?: boolean;
  uvRetries?: number;
}
export interface Ctap2CommandRequest {
  type: 'ctap2CommandRequest';
  /** CTAP2 command byte (CTAP 2.1 §6). */
  command: number;
  /** Its CBOR parameters, as the platform sent them (may be empty). */
  parameters: Uint8Array;
}
export interface Ctap2CommandResponse {
  type: 'ctap2CommandResponse';
  /** CTAP status (0 = success). */
  status: number;
  /** The CBOR response (empty with an error, or for commands that answer none). */
  response: Uint8Array;
}
export interface ApduRequest {
  type: 'apduRequest';
  /** ApduApplication: 0 CTAP1/U2F, 1 Filecoin. */
  application: number;
  apdu: Uint8Array;
}
export interface ApduResponse {
  type: 'apduResponse';
  application: number;
  /** Response data ‖ SW1 SW2. */
  apdu: Uint8Array;
}
/** What a prompt is for (promptRequest byte 12). */
export const PromptKind = { presence: 0, review: 1 } as const;
/**
 * promptRequest byte 13: the operation the user approves, by index (the authenticator's
 * PresenceOperation names; the core checks that the two lists agree).
 */
export const PROMPT_OPERATIONS = [
  'makeCredential',
  'getAssertion',
  'reset',
  'selection',
  'u2fRegister',
  'u2fAuthenticate',
  'credentialManagement',
  'config',
  'largeBlobs',
  'signTransaction',
] as const;
export type PromptOperation = (typeof PROMPT_OPERATIONS)[number];
/** promptResponse byte 12: a touch, a long touch (CTAP 2.3 longTouchForReset), a refusal, no answer in time. */
export const PROMPT_RESULTS = ['approved', 'longTouch', 'denied', 'timeout'] as const;
export type PromptResult = (typeof PROMPT_RESULTS)[number];
/** Longest text field of a promptRequest (UTF-8 bytes), review value included; 64 review items at most. */
export const MAX_PROMPT_TEXT = 4096;
export const MAX_PROMPT_ITEMS = 64;
const MAX_PROMPT_LABEL = 255;

export interface PromptRequest {
  type: 'promptRequest';
  /** Chosen by the core; the answer and the cancel name it. */
  id: number;
  kind: (typeof PromptKind)[keyof typeof PromptKind];
  operation: PromptOperation;
  /** Only a long touch approves (CTAP 2.3 reset with longTouchForReset). */
  longTouch: boolean;
  /** '' when the prompt has none (reset, selection, a transaction review). */
  rpId: string;
  rpName: string;
  userName: string;
  userDisplayName: string;
  /** The screen's text: "Register with Example (example.com) as alice?", or a review's title. */
  text: string;
  /** A review's fields in order (To, From, Value, …); [] for a presence prompt. */
  items: Array<{ label: string; value: string }>;
}
export interface PromptResponse {
  type: 'promptResponse';
  id: number;
  result: PromptResult;
}
export interface PromptCancel {
  type: 'promptCancel';
  id: number;
}

export interface ErrorResponse {
  type: 'errorResponse';
  errorCode: number;
  /** With errorCode 0x0a: the CTAP status that answers the request; 0 otherwise. */
  ctapStatus: number;
}
export interface EmptyRequest {
  type:
    | 'deviceInfoRequest'
    | 'getNextAssertionRequest'
    | 'resetRequest'
    | 'powerCycleRequest'
    | 'selectionRequest'
    | 'cancelRequest';
}
export interface StatusResponse {
  type: 'resetResponse' | 'powerCycleResponse' | 'selectionResponse';
  errorCode: number;
}

export type SecureCoreMessage =
  | AuthenticateCredentialRequest
  | AuthenticateCredentialResponse
  | MakeCredentialRequest
  | MakeCredentialResponse
  | GetAssertionRequest
  | GetAssertionExRequest
  | GetAssertionResponse
  | DeviceInfoResponse
  | MakeCredentialExRequest
  | MakeCredentialExResponse
  | AssertionExResponse
  | EmptyRequest
  | StatusResponse
  | ClientPinRequest
  | ClientPinResponse
  | Ctap2CommandRequest
  | Ctap2CommandResponse
  | ApduRequest
  | ApduResponse
  | PromptRequest
  | PromptResponse
  | PromptCancel
  | ErrorResponse;

// ---- per-message layouts (offsets are absolute, as in the seed's tables) ---------------------

interface Layout<M> {
  /** Total size, or for variable messages the fixed part's size. */
  size: number;
  /** Extra bytes after the fixed part (variable messages only). */
  tail?(m: M): number;
  write(b: Uint8Array, m: M): void;
  read(b: Uint8Array): M;
}

const ID = CREDENTIAL_ID_LENGTH;

const authenticateCredentialRequest: Layout<AuthenticateCredentialRequest> = {
  size: 276,
  write(b, m) {
    putText(b, 8, RPID_SIZE, m.rpId, 'RPID'); // 8–259
    putBytes(b, 260, ID, m.credentialId, 'Credential ID'); // 260–275
  },
  read: (b) => ({
    type: 'authenticateCredentialRequest',
    rpId: getText(b, 8, RPID_SIZE, 'RPID'),
    credentialId: getBytes(b, 260, ID),
  }),
};

const authenticateCredentialResponse: Layout<AuthenticateCredentialResponse> = {
  size: 90,
  write(b, m) {
    putBytes(b, 8, ID, m.credentialId, 'Credential ID'); // 8–23
    putSized(b, 24, USER_HANDLE_SIZE, 88, m.userHandle, 'User handle'); // 24–87, length at 88
    b[89] = m.found ? 1 : 0; // Result
  },
  read: (b) => ({
    type: 'authenticateCredentialResponse',
    credentialId: getBytes(b, 8, ID),
    userHandle: getSized(b, 24, USER_HANDLE_SIZE, 88, 'User handle'),
    found: checkRange('Result', b[89]!, 1) === 1,
  }),
};

function writeMakeCredentialRequest(b: Uint8Array, m: Omit<MakeCredentialRequest, 'type'>): void {
  putText(b, 8, RPID_SIZE, m.rpId, 'RPID'); // 8–259
  putSized(b, 260, USER_HANDLE_SIZE, 324, m.userHandle, 'User Handle'); // 260–323, length at 324
  putText(b, 325, USER_NAME_SIZE, m.userName, 'User name'); // 325–389
  putText(b, 390, USER_NAME_SIZE, m.displayName, 'Display name'); // 390–454
  putBytes(b, 455, 32, m.clientDataHash, 'Client Data Hash'); // 455–486
}
function readMakeCredentialRequest(b: Uint8Array): Omit<MakeCredentialRequest, 'type'> {
  return {
    rpId: getText(b, 8, RPID_SIZE, 'RPID'),
    userHandle: getSized(b, 260, USER_HANDLE_SIZE, 324, 'User Handle'),
    userName: getText(b, 325, USER_NAME_SIZE, 'User name'),
    displayName: getText(b, 390, USER_NAME_SIZE, 'Display name'),
    clientDataHash: getBytes(b, 455, 32),
  };
}

const makeCredentialRequest: Layout<MakeCredentialRequest> = {
  size: 487,
  write: writeMakeCredentialRequest,
  read: (b) => ({ type: 'makeCredentialRequest', ...readMakeCredentialRequest(b) }),
};

/** Flags are a 4-byte little-endian field holding the one-byte authenticator-data flags. */
const readFlags = (b: Uint8Array, offset: number) => checkRange('Flags', getU32le(b, offset), 0xff);

const makeCredentialResponse: Layout<MakeCredentialResponse> = {
  size: 213,
  write(b, m) {
    putBytes(b, 8, ID, m.credentialId, 'Credential ID'); // 8–23
    putBytes(b, 24, 32, m.rpIdHash, 'RPID Hash'); // 24–55
    putU32be(b, 56, m.count); // 56–59, BE
    putU32le(b, 60, checkRange('Flags', m.flags, 0xff)); // 60–63
    putBytes(b, 64, 32, m.x, 'Public key x component'); // 64–95
    putBytes(b, 96, 32, m.y, 'Public key y component'); // 96–127
    putBytes(b, 128, 64, m.attestSignature, 'Attest signature'); // 128–191
    putBytes(b, 192, 16, m.aaguid, 'AAGUID'); // 192–207
    putU32le(b, 208, m.credentialIdLength); // 208–211
    b[212] = checkRange('Error code', m.errorCode, MAX_SEED_MAKE_CREDENTIAL_ERROR);
  },
  read: (b) => ({
    type: 'makeCredentialResponse',
    credentialId: getBytes(b, 8, ID),
    rpIdHash: getBytes(b, 24, 32),
    count: getU32be(b, 56),
    flags: readFlags(b, 60),
    x: getBytes(b, 64, 32),
    y: getBytes(b, 96, 32),
    attestSignature: getBytes(b, 128, 64),
    aaguid: getBytes(b, 192, 16),
    credentialIdLength: checkRange('Credential ID length', getU32le(b, 208), ID),
    errorCode: checkRange('Error code', b[212]!, MAX_SEED_MAKE_CREDENTIAL_ERROR),
  }),
};

function writeGetAssertionRequest(b: Uint8Array, m: Omit<GetAssertionRequest, 'type'>): void {
  putText(b, 8, RPID_SIZE, m.rpId, 'RPID'); // 8–259
  putBytes(b, 260, 32, m.clientDataHash, 'Client Data Hash'); // 260–291
  if (m.allowList.length > MAX_ALLOW_LIST)
    throw new RangeError(`Allow List holds at most ${MAX_ALLOW_LIST} credentials`);
  putU32le(b, 292, m.allowList.length); // 292–295 Length
  m.allowList.forEach((id, i) => putBytes(b, 296 + i * ID, ID, id, `Credential ID ${i + 1}`)); // 296–455
  b[456] = m.silent ? 1 : 0; // Flags
}
function readGetAssertionRequest(b: Uint8Array): Omit<GetAssertionRequest, 'type'> {
  const length = checkRange('Allow List Length', getU32le(b, 292), MAX_ALLOW_LIST);
  checkZero(b, 296 + length * ID, 456, 'Allow List (unused entries)');
  return {
    rpId: getText(b, 8, RPID_SIZE, 'RPID'),
    clientDataHash: getBytes(b, 260, 32),
    allowList: Array.from({ length }, (_, i) => getBytes(b, 296 + i * ID, ID)),
    silent: checkRange('Flags', b[456]!, 1) === 1,
  };
}

const getAssertionRequest: Layout<GetAssertionRequest> = {
  size: 457,
  write: writeGetAssertionRequest,
  read: (b) => ({ type: 'getAssertionRequest', ...readGetAssertionRequest(b) }),
};

/** pinUvAuth at `offset`: present (0/1), protocol, param length, param (32). */
const PIN_UV_AUTH_SIZE = 35;
function writePinUvAuth(b: Uint8Array, offset: number, p: PinUvAuth | undefined): void {
  if (!p) return;
  b[offset] = 1;
  b[offset + 1] = checkRange('pinUvAuthProtocol', p.protocol, 0xff);
  putSized(b, offset + 3, 32, offset + 2, p.param, 'pinUvAuthParam');
}
function readPinUvAuth(b: Uint8Array, offset: number): { pinUvAuth?: PinUvAuth } {
  if (checkRange('pinUvAuth present', b[offset]!, 1) === 0) {
    checkZero(b, offset + 1, offset + PIN_UV_AUTH_SIZE, 'pinUvAuth (absent)');
    return {};
  }
  return { pinUvAuth: { protocol: b[offset + 1]!, param: getSized(b, offset + 3, 32, offset + 2, 'pinUvAuthParam') } };
}

const getAssertionResponse: Layout<GetAssertionResponse> = {
  size: 210,
  write(b, m) {
    putBytes(b, 8, ID, m.credentialId, 'Credential ID'); // 8–23
    putSized(b, 24, USER_HANDLE_SIZE, 88, m.userHandle, 'User Handle'); // 24–87, length at 88
    putBytes(b, 89, 32, m.rpIdHash, 'RPID Hash'); // 89–120
    putU32be(b, 121, m.count); // 121–124, BE
    putU32le(b, 125, checkRange('Flags', m.flags, 0xff)); // 125–128
    putBytes(b, 129, 64, m.attestSignature, 'Attest signature'); // 129–192
    putBytes(b, 193, 16, m.aaguid, 'AAGUID'); // 193–208
    b[209] = checkRange('Error code', m.errorCode, MAX_SEED_GET_ASSERTION_ERROR);
  },
  read: (b) => ({
    type: 'getAssertionResponse',
    credentialId: getBytes(b, 8, ID),
    userHandle: getSized(b, 24, USER_HANDLE_SIZE, 88, 'User Handle'),
    rpIdHash: getBytes(b, 89, 32),
    count: getU32be(b, 121),
    flags: readFlags(b, 125),
    attestSignature: getBytes(b, 129, 64),
    aaguid: getBytes(b, 193, 16),
    errorCode: checkRange('Error code', b[209]!, MAX_SEED_GET_ASSERTION_ERROR),
  }),
};

// ---- extension set ---------------------------------------------------------------------------

function empty(type: EmptyRequest['type']): Layout<EmptyRequest> {
  return { size: 8, write() {}, read: () => ({ type }) };
}

function status(type: StatusResponse['type']): Layout<StatusResponse> {
  return {
    size: 9,
    write(b, m) {
      b[8] = checkRange('Error code', m.errorCode, MAX_EXT_ERROR);
    },
    read: (b) => ({ type, errorCode: checkRange('Error code', b[8]!, MAX_EXT_ERROR) }),
  };
}

function checkLength(field: string, length: number, max: number): number {
  if (length > max) throw new RangeError(`${field} is ${length} bytes, at most ${max}`);
  return length;
}

const deviceInfoResponse: Layout<DeviceInfoResponse> = {
  size: 28,
  tail: (m) => m.certificate.length,
  write(b, m) {
    putBytes(b, 8, 16, m.aaguid, 'AAGUID'); // 8–23
    b[24] = checkRange('Attestation', m.attestation, 2);
    b[25] = m.pinSet ? 1 : 0;
    putU16le(b, 26, checkLength('Certificate', m.certificate.length, MAX_CERTIFICATE_LENGTH)); // 26–27
    b.set(m.certificate, 28);
  },
  read(b) {
    const length = checkRange('Certificate length', getU16le(b, 26), MAX_CERTIFICATE_LENGTH);
    exactTail(b, 28, length);
    return {
      type: 'deviceInfoResponse',
      aaguid: getBytes(b, 8, 16),
      attestation: checkRange('Attestation', b[24]!, 2),
      certificate: getBytes(b, 28, length),
      pinSet: checkRange('PIN set', b[25]!, 1) === 1,
    };
  },
};

/** excludeList of makeCredentialEx at 527: length (4, 0–10), ten 16-byte IDs (531–690); RP name at 691–755. */
const EXCLUDE_LIST = 527;
const RP_NAME = EXCLUDE_LIST + 4 + MAX_ALLOW_LIST * ID;
const makeCredentialExRequest: Layout<MakeCredentialExRequest> = {
  size: RP_NAME + USER_NAME_SIZE,
  write(b, m) {
    writeMakeCredentialRequest(b, m); // 8–486 as in makeCredentialRequest
    putU32le(b, 487, m.alg >>> 0); // 487–490, signed
    b[491] = m.rk ? 1 : 0; // options: bit 0 rk
    writePinUvAuth(b, 492, m.pinUvAuth); // 492–526
    if (m.excludeList.length > MAX_ALLOW_LIST)
      throw new RangeError(`Exclude List holds at most ${MAX_ALLOW_LIST} credentials`);
    putU32le(b, EXCLUDE_LIST, m.excludeList.length); // 527–530
    m.excludeList.forEach((id, i) => putBytes(b, EXCLUDE_LIST + 4 + i * ID, ID, id, `Excluded credential ID ${i + 1}`)); // 531–690
    putText(b, RP_NAME, USER_NAME_SIZE, m.rpName, 'RP name'); // 691–755
  },
  read(b) {
    const length = checkRange('Exclude List Length', getU32le(b, EXCLUDE_LIST), MAX_ALLOW_LIST);
    checkZero(
      b,
      EXCLUDE_LIST + 4 + length * ID,
      EXCLUDE_LIST + 4 + MAX_ALLOW_LIST * ID,
      'Exclude List (unused entries)',
    );
    return {
      type: 'makeCredentialExRequest',
      ...readMakeCredentialRequest(b),
      alg: getU32le(b, 487) | 0,
      rk: checkRange('Options', b[491]!, 1) === 1,
      ...readPinUvAuth(b, 492),
      excludeList: Array.from({ length }, (_, i) => getBytes(b, EXCLUDE_LIST + 4 + i * ID, ID)),
      rpName: getText(b, RP_NAME, USER_NAME_SIZE, 'RP name'),
    };
  },
};

const getAssertionExRequest: Layout<GetAssertionExRequest> = {
  size: 457 + PIN_UV_AUTH_SIZE,
  write(b, m) {
    writeGetAssertionRequest(b, m); // 8–456 as in getAssertionRequest
    writePinUvAuth(b, 457, m.pinUvAuth); // 457–491
  },
  read: (b) => ({ type: 'getAssertionExRequest', ...readGetAssertionRequest(b), ...readPinUvAuth(b, 457) }),
};

const makeCredentialExResponse: Layout<MakeCredentialExResponse> = {
  size: 86,
  tail: (m) => m.publicKey.length + m.signature.length,
  write(b, m) {
    putBytes(b, 8, ID, m.credentialId, 'Credential ID'); // 8–23
    putBytes(b, 24, 32, m.rpIdHash, 'RPID Hash'); // 24–55
    putU32be(b, 56, m.count); // 56–59, BE
    putU32le(b, 60, checkRange('Flags', m.flags, 0xff)); // 60–63
    putBytes(b, 64, 16, m.aaguid, 'AAGUID'); // 64–79
    b[80] = checkRange('Error code', m.errorCode, MAX_EXT_ERROR);
    putU16le(b, 82, checkLength('Public key', m.publicKey.length, MAX_PUBLIC_KEY_LENGTH)); // 82–83
    putU16le(b, 84, checkLength('Signature', m.signature.length, MAX_SIGNATURE_LENGTH)); // 84–85
    b.set(m.publicKey, 86);
    b.set(m.signature, 86 + m.publicKey.length);
  },
  read(b) {
    checkZero(b, 81, 82, 'byte 81');
    const keyLength = checkRange('Public key length', getU16le(b, 82), MAX_PUBLIC_KEY_LENGTH);
    const sigLength = checkRange('Signature length', getU16le(b, 84), MAX_SIGNATURE_LENGTH);
    exactTail(b, 86, keyLength + sigLength);
    return {
      type: 'makeCredentialExResponse',
      credentialId: getBytes(b, 8, ID),
      rpIdHash: getBytes(b, 24, 32),
      count: getU32be(b, 56),
      flags: readFlags(b, 60),
      aaguid: getBytes(b, 64, 16),
      errorCode: checkRange('Error code', b[80]!, MAX_EXT_ERROR),
      publicKey: getBytes(b, 86, keyLength),
      signature: getBytes(b, 86 + keyLength, sigLength),
    };
  },
};

/** Longest credential ID an Ex response carries after its signature (WebAuthn L3 §4: at most 1023 bytes). */
export const MAX_LONG_CREDENTIAL_ID = 1023;

function assertionExResponse(type: AssertionExResponse['type']): Layout<AssertionExResponse> {
  // A credential ID of 16 bytes is at 8–23; a longer one (made by the single-process device on the
  // same data directory) follows the signature, its length at 263–264, and 8–23 stay zero.
  const long = (m: AssertionExResponse) => (m.credentialId.length === ID ? 0 : m.credentialId.length);
  return {
    size: 269,
    tail: (m) => m.signature.length + long(m),
    write(b, m) {
      const longId = long(m);
      if (longId !== 0 && (longId < ID || longId > MAX_LONG_CREDENTIAL_ID))
        throw new RangeError(`Credential ID is ${longId} bytes: 16, or 17–${MAX_LONG_CREDENTIAL_ID}`);
      if (longId === 0) putBytes(b, 8, ID, m.credentialId, 'Credential ID'); // 8–23
      putSized(b, 24, USER_HANDLE_SIZE, 88, m.userHandle, 'User Handle'); // 24–87, length at 88
      putBytes(b, 89, 32, m.rpIdHash, 'RPID Hash'); // 89–120
      putU32be(b, 121, m.count); // 121–124, BE
      putU32le(b, 125, checkRange('Flags', m.flags, 0xff)); // 125–128
      b[129] = checkRange('Error code', m.errorCode, MAX_EXT_ERROR);
      // 130 reserved: numberOfCredentials is 32-bit, at 265 (the one-byte field would cap it at 255)
      putText(b, 131, USER_NAME_SIZE, m.userName, 'User name'); // 131–195
      putText(b, 196, USER_NAME_SIZE, m.displayName, 'Display name'); // 196–260
      putU16le(b, 261, checkLength('Signature', m.signature.length, MAX_SIGNATURE_LENGTH)); // 261–262
      putU16le(b, 263, longId); // 263–264
      putU32le(b, 265, m.numberOfCredentials); // 265–268
      b.set(m.signature, 269);
      if (longId !== 0) b.set(m.credentialId, 269 + m.signature.length);
    },
    read(b) {
      const sigLength = checkRange('Signature length', getU16le(b, 261), MAX_SIGNATURE_LENGTH);
      const longId = checkRange('Long credential ID length', getU16le(b, 263), MAX_LONG_CREDENTIAL_ID);
      if (longId !== 0 && longId <= ID)
        throw new SecureCoreMessageError('field', `Long credential ID length: ${longId} is not above 16`);
      checkZero(b, 130, 131, 'byte 130');
      if (longId !== 0) checkZero(b, 8, 8 + ID, 'Credential ID (long ID follows)');
      exactTail(b, 269, sigLength + longId);
      return {
        type,
        credentialId: longId === 0 ? getBytes(b, 8, ID) : getBytes(b, 269 + sigLength, longId),
        userHandle: getSized(b, 24, USER_HANDLE_SIZE, 88, 'User Handle'),
        rpIdHash: getBytes(b, 89, 32),
        count: getU32be(b, 121),
        flags: readFlags(b, 125),
        errorCode: checkRange('Error code', b[129]!, MAX_EXT_ERROR),
        numberOfCredentials: getU32le(b, 265),
        userName: getText(b, 131, USER_NAME_SIZE, 'User name'),
        displayName: getText(b, 196, USER_NAME_SIZE, 'Display name'),
        signature: getBytes(b, 269, sigLength),
      };
    },
  };
}

const PIN_BITS = {
  keyAgreement: 1,
  pinUvAuthParam: 2,
  newPinEnc: 4,
  pinHashEnc: 8,
  permissions: 16,
  rpId: 32,
} as const;

const clientPinRequest: Layout<ClientPinRequest> = {
  size: 479,
  write(b, m) {
    b[8] = checkRange('pinUvAuthProtocol', m.pinUvAuthProtocol, 0xff);
    b[9] = checkRange('subCommand', m.subCommand, 0xff);
    let present = 0;
    if (m.keyAgreement) {
      present |= PIN_BITS.keyAgreement;
      putBytes(b, 16, 32, m.keyAgreement.x, 'keyAgreement x'); // 16–47
      putBytes(b, 48, 32, m.keyAgreement.y, 'keyAgreement y'); // 48–79
    }
    if (m.pinUvAuthParam) {
      present |= PIN_BITS.pinUvAuthParam;
      putSized(b, 81, 32, 80, m.pinUvAuthParam, 'pinUvAuthParam'); // 80, 81–112
    }
    if (m.newPinEnc) {
      present |= PIN_BITS.newPinEnc;
      putSized(b, 114, 80, 113, m.newPinEnc, 'newPinEnc'); // 113, 114–193
    }
    if (m.pinHashEnc) {
      present |= PIN_BITS.pinHashEnc;
      putSized(b, 195, 32, 194, m.pinHashEnc, 'pinHashEnc'); // 194, 195–226
    }
    if (m.permissions !== undefined) {
      present |= PIN_BITS.permissions;
      putU32le(b, 12, m.permissions); // 12–15
    }
    if (m.rpId !== undefined) {
      present |= PIN_BITS.rpId;
      putText(b, 227, RPID_SIZE, m.rpId, 'rpId'); // 227–478
    }
    b[10] = present; // 11 reserved
  },
  read(b) {
    const present = checkRange('present', b[10]!, 63);
    checkZero(b, 11, 12, 'byte 11');
    const has = (bit: number) => (present & bit) !== 0;
    const absent = (bit: number, from: number, to: number, field: string) => {
      if (!has(bit)) checkZero(b, from, to, `${field} (absent)`);
      return has(bit);
    };
    const m: ClientPinRequest = { type: 'clientPinRequest', pinUvAuthProtocol: b[8]!, subCommand: b[9]! };
    if (absent(PIN_BITS.keyAgreement, 16, 80, 'keyAgreement'))
      m.keyAgreement = { x: getBytes(b, 16, 32), y: getBytes(b, 48, 32) };
    if (absent(PIN_BITS.pinUvAuthParam, 80, 113, 'pinUvAuthParam'))
      m.pinUvAuthParam = getSized(b, 81, 32, 80, 'pinUvAuthParam');
    if (absent(PIN_BITS.newPinEnc, 113, 194, 'newPinEnc')) m.newPinEnc = getSized(b, 114, 80, 113, 'newPinEnc');
    if (absent(PIN_BITS.pinHashEnc, 194, 227, 'pinHashEnc')) m.pinHashEnc = getSized(b, 195, 32, 194, 'pinHashEnc');
    if (absent(PIN_BITS.permissions, 12, 16, 'permissions')) m.permissions = getU32le(b, 12);
    if (absent(PIN_BITS.rpId, 227, 479, 'rpId')) m.rpId = getText(b, 227, RPID_SIZE, 'rpId');
    return m;
  },
};

const PIN_RESPONSE_BITS = {
  keyAgreement: 1,
  pinUvAuthToken: 2,
  pinRetries: 4,
  powerCycleState: 8,
  uvRetries: 16,
} as const;

const clientPinResponse: Layout<ClientPinResponse> = {
  size: 126,
  write(b, m) {
    b[8] = checkRange('status', m.status, 0xff);
    let present = 0;
    if (m.keyAgreement) {
      present |= PIN_RESPONSE_BITS.keyAgreement;
      putBytes(b, 13, 32, m.keyAgreement.x, 'keyAgreement x'); // 13–44
      putBytes(b, 45, 32, m.keyAgreement.y, 'keyAgreement y'); // 45–76
    }
    if (m.pinUvAuthToken) {
      present |= PIN_RESPONSE_BITS.pinUvAuthToken;
      putSized(b, 78, 48, 77, m.pinUvAuthToken, 'pinUvAuthToken'); // 77, 78–125
    }
    if (m.pinRetries !== undefined) {
      present |= PIN_RESPONSE_BITS.pinRetries;
      b[11] = checkRange('pinRetries', m.pinRetries, 0xff);
    }
    if (m.powerCycleState !== undefined) {
      present |= PIN_RESPONSE_BITS.powerCycleState;
      b[10] = m.powerCycleState ? 1 : 0;
    }
    if (m.uvRetries !== undefined) {
      present |= PIN_RESPONSE_BITS.uvRetries;
      b[12] = checkRange('uvRetries', m.uvRetries, 0xff);
    }
    b[9] = present;
  },
  read(b) {
    const present = checkRange('present', b[9]!, 31);
    const has = (bit: number, from: number, to: number, field: string) => {
      if (!(present & bit)) checkZero(b, from, to, `${field} (absent)`);
      return (present & bit) !== 0;
    };
    const m: ClientPinResponse = { type: 'clientPinResponse', status: b[8]! };
    if (has(PIN_RESPONSE_BITS.powerCycleState, 10, 11, 'powerCycleState'))
      m.powerCycleState = checkRange('powerCycleState', b[10]!, 1) === 1;
    if (has(PIN_RESPONSE_BITS.pinRetries, 11, 12, 'pinRetries')) m.pinRetries = b[11]!;
    if (has(PIN_RESPONSE_BITS.uvRetries, 12, 13, 'uvRetries')) m.uvRetries = b[12]!;
    if (has(PIN_RESPONSE_BITS.keyAgreement, 13, 77, 'keyAgreement'))
      m.keyAgreement = { x: getBytes(b, 13, 32), y: getBytes(b, 45, 32) };
    if (has(PIN_RESPONSE_BITS.pinUvAuthToken, 77, 126, 'pinUvAuthToken'))
      m.pinUvAuthToken = getSized(b, 78, 48, 77, 'pinUvAuthToken');
    return m;
  },
};

/** 8 a byte (command, status, application), 9 zero, 10–11 body length, 12… body. */
function withBody<M extends SecureCoreMessage>(
  type: M['type'],
  byteName: string,
  maxByte: number,
  byteOf: (m: M) => number,
  bodyOf: (m: M) => Uint8Array,
  make: (byte: number, body: Uint8Array) => M,
): Layout<M> {
  return {
    size: 12,
    tail: (m) => bodyOf(m).length,
    write(b, m) {
      const byte = byteOf(m);
      if (!Number.isInteger(byte) || byte < 0 || byte > maxByte)
        throw new RangeError(`${byteName} ${byte} is outside 0–${maxByte}`);
      b[8] = byte;
      const body = bodyOf(m);
      putU16le(b, 10, checkLength(`${type} body`, body.length, MAX_BODY_LENGTH));
      b.set(body, 12);
    },
    read(b) {
      checkZero(b, 9, 10, 'byte 9');
      const length = getU16le(b, 10);
      exactTail(b, 12, length);
      return make(checkRange(byteName, b[8]!, maxByte), getBytes(b, 12, length));
    },
  };
}

const ctap2CommandRequest = withBody<Ctap2CommandRequest>(
  'ctap2CommandRequest',
  'command',
  0xff,
  (m) => m.command,
  (m) => m.parameters,
  (command, parameters) => ({ type: 'ctap2CommandRequest', command, parameters }),
);
const ctap2CommandResponse = withBody<Ctap2CommandResponse>(
  'ctap2CommandResponse',
  'status',
  0xff,
  (m) => m.status,
  (m) => m.response,
  (status, response) => ({ type: 'ctap2CommandResponse', status, response }),
);
const apduRequest = withBody<ApduRequest>(
  'apduRequest',
  'application',
  1,
  (m) => m.application,
  (m) => m.apdu,
  (application, apdu) => ({ type: 'apduRequest', application, apdu }),
);
const apduResponse = withBody<ApduResponse>(
  'apduResponse',
  'application',
  1,
  (m) => m.application,
  (m) => m.apdu,
  (application, apdu) => ({ type: 'apduResponse', application, apdu }),
);

/**
 * promptRequest: 8–11 id, 12 kind, 13 operation, 14 options (bit 0 long touch), 15 item count,
 * 16–25 five 16-bit lengths (RP ID, RP name, user name, display name, text), 26… those five UTF-8
 * strings, then each item as label length (1), label, value length (2), value.
 */
const PROMPT_STRINGS = ['rpId', 'rpName', 'userName', 'userDisplayName', 'text'] as const;
const promptRequest: Layout<PromptRequest> = {
  size: 26,
  tail: (m) =>
    PROMPT_STRINGS.reduce((n, k) => n + utf8.encode(m[k]).length, 0) +
    m.items.reduce((n, i) => n + 3 + utf8.encode(i.label).length + utf8.encode(i.value).length, 0),
  write(b, m) {
    putU32le(b, 8, m.id);
    b[12] = checkRange('Kind', m.kind, 1);
    const operation = PROMPT_OPERATIONS.indexOf(m.operation);
    if (operation < 0) throw new RangeError(`no prompt operation ${String(m.operation)}`);
    b[13] = operation;
    b[14] = m.longTouch ? 1 : 0;
    b[15] = checkRange('Item count', m.items.length, MAX_PROMPT_ITEMS);
    let at = 26;
    const put = (value: string, field: string, max: number, lengthOffset?: number) => {
      const bytes = utf8.encode(value);
      checkLength(field, bytes.length, max);
      if (lengthOffset !== undefined) putU16le(b, lengthOffset, bytes.length);
      return bytes;
    };
    PROMPT_STRINGS.forEach((k, i) => {
      const bytes = put(m[k], k, MAX_PROMPT_TEXT, 16 + 2 * i);
      b.set(bytes, at);
      at += bytes.length;
    });
    for (const item of m.items) {
      const label = put(item.label, 'Item label', MAX_PROMPT_LABEL);
      const value = put(item.value, 'Item value', MAX_PROMPT_TEXT);
      b[at] = label.length;
      b.set(label, at + 1);
      putU16le(b, at + 1 + label.length, value.length);
      b.set(value, at + 3 + label.length);
      at += 3 + label.length + value.length;
    }
  },
  read(b) {
    const kind = checkRange('Kind', b[12]!, 1) as PromptRequest['kind'];
    const operation = PROMPT_OPERATIONS[checkRange('Operation', b[13]!, PROMPT_OPERATIONS.length - 1)]!;
    const longTouch = checkRange('Options', b[14]!, 1) === 1;
    const count = checkRange('Item count', b[15]!, MAX_PROMPT_ITEMS);
    let at = 26;
    const take = (length: number, field: string): string => {
      if (at + length > b.length)
        throw new SecureCoreMessageError('length', `${field} runs past the end of the message`);
      let s: string;
      try {
        s = utf8.decode(b.subarray(at, at + length));
      } catch {
        throw new SecureCoreMessageError('field', `${field}: not UTF-8`);
      }
      // One encoding per value: a leading BOM, which the decoder drops, would not come back.
      if (utf8.encode(s).length !== length) throw new SecureCoreMessageError('field', `${field}: not canonical UTF-8`);
      at += length;
      return s;
    };
    const strings = PROMPT_STRINGS.map((k, i) =>
      take(checkRange(`${k} length`, getU16le(b, 16 + 2 * i), MAX_PROMPT_TEXT), k),
    );
    const items: PromptRequest['items'] = [];
    for (let i = 0; i < count; i++) {
      if (at + 1 > b.length) throw new SecureCoreMessageError('length', `item ${i + 1} runs past the end`);
      const label = take(b[at++]!, `item ${i + 1} label`);
      if (at + 2 > b.length) throw new SecureCoreMessageError('length', `item ${i + 1} runs past the end`);
      const valueLength = checkRange(`item ${i + 1} value length`, getU16le(b, at), MAX_PROMPT_TEXT);
      at += 2;
      items.push({ label, value: take(valueLength, `item ${i + 1} value`) });
    }
    exactTail(b, at, 0);
    const [rpId, rpName, userName, userDisplayName, text] = strings as [string, string, string, string, string];
    return {
      type: 'promptRequest',
      id: getU32le(b, 8),
      kind,
      operation,
      longTouch,
      rpId,
      rpName,
      userName,
      userDisplayName,
      text,
      items,
    };
  },
};

const promptResponse: Layout<PromptResponse> = {
  size: 13,
  write(b, m) {
    putU32le(b, 8, m.id);
    const result = PROMPT_RESULTS.indexOf(m.result);
    if (result < 0) throw new RangeError(`no prompt result ${String(m.result)}`);
    b[12] = result;
  },
  read: (b) => ({
    type: 'promptResponse',
    id: getU32le(b, 8),
    result: PROMPT_RESULTS[checkRange('Result', b[12]!, PROMPT_RESULTS.length - 1)]!,
  }),
};

const promptCancel: Layout<PromptCancel> = {
  size: 12,
  write(b, m) {
    putU32le(b, 8, m.id);
  },
  read: (b) => ({ type: 'promptCancel', id: getU32le(b, 8) }),
};

const errorResponse: Layout<ErrorResponse> = {
  size: 10,
  write(b, m) {
    b[8] = checkRange('Error code', m.errorCode, MAX_EXT_ERROR);
    b[9] = checkRange('CTAP status', m.ctapStatus, 0xff);
  },
  read: (b) => ({
    type: 'errorResponse',
    errorCode: checkRange('Error code', b[8]!, MAX_EXT_ERROR),
    ctapStatus: b[9]!,
  }),
};

function exactTail(b: Uint8Array, from: number, length: number): void {
  if (b.length !== from + length)
    throw new SecureCoreMessageError('length', `message is ${b.length} bytes, its length fields say ${from + length}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const LAYOUTS: { [K in MessageName]: Layout<any> } = {
  authenticateCredentialRequest,
  authenticateCredentialResponse,
  makeCredentialRequest,
  makeCredentialResponse,
  getAssertionRequest,
  getAssertionResponse,
  deviceInfoRequest: empty('deviceInfoRequest'),
  deviceInfoResponse,
  makeCredentialExRequest,
  makeCredentialExResponse,
  getAssertionExRequest,
  getAssertionExResponse: assertionExResponse('getAssertionExResponse'),
  getNextAssertionRequest: empty('getNextAssertionRequest'),
  getNextAssertionResponse: assertionExResponse('getNextAssertionResponse'),
  resetRequest: empty('resetRequest'),
  resetResponse: status('resetResponse'),
  powerCycleRequest: empty('powerCycleRequest'),
  powerCycleResponse: status('powerCycleResponse'),
  selectionRequest: empty('selectionRequest'),
  selectionResponse: status('selectionResponse'),
  cancelRequest: empty('cancelRequest'),
  clientPinRequest,
  clientPinResponse,
  ctap2CommandRequest,
  ctap2CommandResponse,
  apduRequest,
  apduResponse,
  promptRequest,
  promptResponse,
  promptCancel,
  errorResponse,
};

const NAME_OF = new Map<number, MessageName>(
  Object.entries(Fido2MessageType).map(([name, code]) => [code, name as MessageName]),
);

/** Encodes a message with its envelope. Throws RangeError for a value that does not fit its field. */
export function encodeMessage(m: SecureCoreMessage): Uint8Array {
  const layout = LAYOUTS[m.type];
  const total = layout.size + (layout.tail?.(m) ?? 0);
  if (total - 4 > 0xffff) throw new RangeError(`${m.type} of ${total} bytes does not fit the envelope's 16-bit length`);
  const b = new Uint8Array(total);
  putU16le(b, 0, ENVELOPE_FIDO2);
  putU16le(b, 2, total - 4);
  putU16le(b, 4, Fido2MessageType[m.type]);
  layout.write(b, m);
  return b;
}

/** The envelope's view of a message: total length from bytes 2–3 (for stream framing). */
export function messageLength(header: Uint8Array): number {
  if (header.length < 4) throw new SecureCoreMessageError('truncated', 'fewer than 4 bytes');
  return 4 + getU16le(header, 2);
}

/** Decodes one whole message; SecureCoreMessageError says precisely what is wrong. */
export function decodeMessage(b: Uint8Array): SecureCoreMessage {
  if (b.length < HEADER_LENGTH)
    throw new SecureCoreMessageError(
      'truncated',
      `message of ${b.length} bytes, the envelope alone is ${HEADER_LENGTH}`,
    );
  const envelope = getU16le(b, 0);
  if (envelope !== ENVELOPE_FIDO2)
    throw new SecureCoreMessageError(
      'envelope',
      `message type 0x${envelope.toString(16).padStart(4, '0')}, expected 0x0009 (FIDO2)`,
    );
  if (getU16le(b, 2) !== b.length - 4)
    throw new SecureCoreMessageError(
      'length',
      `payload length ${getU16le(b, 2)} but ${b.length - 4} bytes follow byte 3`,
    );
  if (getU16le(b, 6) !== 0) throw new SecureCoreMessageError('envelope', 'reserved bytes 6–7 are not zero');
  const code = getU16le(b, 4);
  const name = NAME_OF.get(code);
  if (!name)
    throw new SecureCoreMessageError('type', `unknown FIDO2 message type 0x${code.toString(16).padStart(4, '0')}`);
  const layout = LAYOUTS[name];
  if (b.length < layout.size || (!layout.tail && b.length !== layout.size)) {
    throw new SecureCoreMessageError(
      b.length < layout.size ? 'truncated' : 'length',
      `${name} is ${layout.size} bytes${layout.tail ? ' or more' : ''}, got ${b.length}`,
    );
  }
  return layout.read(b) as SecureCoreMessage;
}
