/**
 * FIDO U2F Raw Message Formats v1.2 §4 "Registration Messages", §5 "Authentication Messages" and
 * §6 "Other Messages" (U2F_VERSION): request decoders (a command APDU → a typed request), response
 * encoders, the exact bytes each signature covers, and host-side parsers (tests, tools).
 * https://fidoalliance.org/specs/fido-u2f-v1.2-ps-20170411/fido-u2f-raw-message-formats-v1.2-ps-20170411.html
 */
import { concat, readU32be, u32be } from '../encoding/bytes.js';
import type { CommandApdu } from './apdu.js';
import { Ctap1Error, StatusWord } from './statusWords.js';

/** §3.1: instruction codes. */
export const U2fIns = {
  U2F_REGISTER: 0x01,
  U2F_AUTHENTICATE: 0x02,
  U2F_VERSION: 0x03,
} as const;

/** §5.1: the control byte (P1) of an authentication request. */
export const U2fAuthControl = {
  'check-only': 0x07,
  'enforce-user-presence-and-sign': 0x03,
  'dont-enforce-user-presence-and-sign': 0x08,
} as const;
export type U2fAuthControlName = keyof typeof U2fAuthControl;

/** §4.3 / §5.4: the user presence byte of an authentication response (bit 0). */
export const U2F_USER_PRESENT = 0x01;
/** §4.3: the reserved byte opening a registration response. */
export const U2F_REGISTER_RESERVED = 0x05;
/** §4.3: the byte opening the data the registration signature covers. */
export const U2F_REGISTER_SIGNED_RESERVED = 0x00;
/** §6: the only version string. */
export const U2F_VERSION = 'U2F_V2';

export const CHALLENGE_PARAMETER_LENGTH = 32;
export const APPLICATION_PARAMETER_LENGTH = 32;
/** §4.3: an uncompressed P-256 point (0x04 ‖ x ‖ y). */
export const USER_PUBLIC_KEY_LENGTH = 65;
/** §5.1: the key handle length is one byte. */
export const MAX_KEY_HANDLE_LENGTH = 255;

export interface U2fRegisterRequest {
  kind: 'register';
  challenge: Uint8Array;
  application: Uint8Array;
}

export interface U2fAuthenticateRequest {
  kind: 'authenticate';
  control: U2fAuthControlName;
  challenge: Uint8Array;
  application: Uint8Array;
  keyHandle: Uint8Array;
}

export interface U2fVersionRequest {
  kind: 'version';
}

export type U2fRequest = U2fRegisterRequest | U2fAuthenticateRequest | U2fVersionRequest;

/**
 * A command APDU → a U2F request. CLA other than 00 is SW_CLA_NOT_SUPPORTED, an unknown INS
 * SW_INS_NOT_SUPPORTED, a data field of the wrong size SW_WRONG_LENGTH, an unknown authentication
 * control byte SW_WRONG_DATA.
 */
export function decodeU2fRequest(apdu: CommandApdu): U2fRequest {
  if (apdu.cla !== 0) throw new Ctap1Error(StatusWord.SW_CLA_NOT_SUPPORTED);
  const { data } = apdu;
  switch (apdu.ins) {
    case U2fIns.U2F_REGISTER: {
      // §4.1: challenge parameter (32) ‖ application parameter (32). P1 and P2 carry nothing.
      if (data.length !== CHALLENGE_PARAMETER_LENGTH + APPLICATION_PARAMETER_LENGTH) {
        throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, 'registration request is 64 bytes');
      }
      return { kind: 'register', challenge: data.slice(0, 32), application: data.slice(32, 64) };
    }
    case U2fIns.U2F_AUTHENTICATE: {
      // §5.1: challenge parameter (32) ‖ application parameter (32) ‖ L (1) ‖ key handle (L).
      if (data.length < 65 || data.length !== 65 + data[64]!) {
        throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, 'authentication request is 65 + L bytes');
      }
      const control = (Object.keys(U2fAuthControl) as U2fAuthControlName[]).find((k) => U2fAuthControl[k] === apdu.p1);
      if (control === undefined)
        throw new Ctap1Error(StatusWord.SW_WRONG_DATA, `control byte 0x${apdu.p1.toString(16)}`);
      return {
        kind: 'authenticate',
        control,
        challenge: data.slice(0, 32),
        application: data.slice(32, 64),
        keyHandle: data.slice(65),
      };
    }
    case U2fIns.U2F_VERSION:
      // §6.1: no request data.
      if (data.length !== 0) throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, 'version request has no data');
      return { kind: 'version' };
    default:
      throw new Ctap1Error(StatusWord.SW_INS_NOT_SUPPORTED);
  }
}

export interface U2fRegisterResponse {
  /** Uncompressed P-256 point, 65 bytes. */
  userPublicKey: Uint8Array;
  keyHandle: Uint8Array;
  /** DER X.509 attestation certificate. */
  attestationCertificate: Uint8Array;
  /** DER ECDSA signature over registrationSignedData(...). */
  signature: Uint8Array;
}

/** §4.3: 0x00 ‖ application ‖ challenge ‖ key handle ‖ user public key. */
export function registrationSignedData(
  application: Uint8Array,
  challenge: Uint8Array,
  keyHandle: Uint8Array,
  userPublicKey: Uint8Array,
): Uint8Array {
  return concat(new Uint8Array([U2F_REGISTER_SIGNED_RESERVED]), application, challenge, keyHandle, userPublicKey);
}

/** §4.3: 0x05 ‖ user public key (65) ‖ L (1) ‖ key handle (L) ‖ attestation certificate ‖ signature. */
export function encodeRegisterResponse(r: U2fRegisterResponse): Uint8Array {
  if (r.userPublicKey.length !== USER_PUBLIC_KEY_LENGTH) throw new RangeError('user public key is 65 bytes');
  if (r.keyHandle.length > MAX_KEY_HANDLE_LENGTH) throw new RangeError('key handle longer than 255 bytes');
  return concat(
    new Uint8Array([U2F_REGISTER_RESERVED]),
    r.userPublicKey,
    new Uint8Array([r.keyHandle.length]),
    r.keyHandle,
    r.attestationCertificate,
    r.signature,
  );
}

/** Length of the DER element at `offset` (tag, length octets and contents), or undefined. */
function derElementLength(b: Uint8Array, offset: number): number | undefined {
  const first = b[offset + 1];
  if (first === undefined) return undefined;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3 || offset + 2 + n > b.length) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | b[offset + 2 + i]!;
  return 2 + n + len;
}

/** Host side: parses a registration response (the certificate's length comes from its DER header). */
export function decodeRegisterResponse(data: Uint8Array): U2fRegisterResponse {
  if (data.length < 67 || data[0] !== U2F_REGISTER_RESERVED) throw new RangeError('not a U2F registration response');
  const khLength = data[66]!;
  const certOffset = 67 + khLength;
  const certLength = derElementLength(data, certOffset);
  if (certLength === undefined || certOffset + certLength > data.length)
    throw new RangeError('truncated attestation certificate');
  return {
    userPublicKey: data.slice(1, 66),
    keyHandle: data.slice(67, certOffset),
    attestationCertificate: data.slice(certOffset, certOffset + certLength),
    signature: data.slice(certOffset + certLength),
  };
}

export interface U2fAuthenticateResponse {
  userPresence: number;
  counter: number;
  /** DER ECDSA signature over authenticationSignedData(...). */
  signature: Uint8Array;
}

/** §5.4: application (32) ‖ user presence (1) ‖ counter (4, big-endian) ‖ challenge (32). */
export function authenticationSignedData(
  application: Uint8Array,
  userPresence: number,
  counter: number,
  challenge: Uint8Array,
): Uint8Array {
  return concat(application, new Uint8Array([userPresence]), u32be(counter), challenge);
}

/** §5.4: user presence (1) ‖ counter (4, big-endian) ‖ signature. */
export function encodeAuthenticateResponse(r: U2fAuthenticateResponse): Uint8Array {
  return concat(new Uint8Array([r.userPresence]), u32be(r.counter), r.signature);
}

/** Host side: parses an authentication response. */
export function decodeAuthenticateResponse(data: Uint8Array): U2fAuthenticateResponse {
  if (data.length < 5) throw new RangeError('authentication response shorter than 5 bytes');
  return { userPresence: data[0]!, counter: readU32be(data, 1), signature: data.slice(5) };
}
