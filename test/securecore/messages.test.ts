/**
 * The secure-core codec against seed 004's tables: every message built here by hand, byte by byte
 * at the offsets the seed gives (not with the codec), then decoded and re-encoded; precise errors
 * for malformed input; fast-check round trips and fuzz (random bytes never crash the decoder).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MessageFramer } from '../../src/securecore/framing.js';
import {
  decodeMessage,
  encodeMessage,
  Fido2MessageType,
  PROMPT_OPERATIONS,
  PROMPT_RESULTS,
  SecureCoreMessageError,
  type SecureCoreMessage,
} from '../../src/securecore/messages.js';

const te = new TextEncoder();
/** n bytes counting up from `start` (mod 256). */
const run = (n: number, start: number) => Array.from({ length: n }, (_, i) => (start + i) & 0xff);
/** A zero-filled message of `size` bytes with each field's bytes placed at its offset. */
function place(size: number, ...fields: Array<[offset: number, bytes: ArrayLike<number>]>): Uint8Array {
  const b = new Uint8Array(size);
  for (const [offset, bytes] of fields) b.set(bytes, offset);
  return b;
}

const CRED_A = run(16, 0xa0);
const CRED_B = run(16, 0xb0);
const CDH = run(32, 0x00);
const RPID_HASH = run(32, 0x11);
const AAGUID = run(16, 0xc0);

interface Fixture {
  name: string;
  bytes: Uint8Array;
  message: SecureCoreMessage;
}

const FIXTURES: Fixture[] = [
  {
    name: 'FIDO2 Authenticate Credential Request (0x0001)',
    bytes: place(
      276,
      [0, [0x09, 0x00]], // message type 0x0009, FIDO2 (LE)
      [2, [0x10, 0x01]], // payload length 272 = 276 − 4
      [4, [0x01, 0x00]], // FIDO2 message type 0x0001; bytes 6–7 reserved (0)
      [8, te.encode('example.com')], // byte 8–259 RPID, NUL-padded
      [260, CRED_A], // byte 260–275 Credential ID
    ),
    message: { type: 'authenticateCredentialRequest', rpId: 'example.com', credentialId: new Uint8Array(CRED_A) },
  },
  {
    name: 'FIDO2 Authenticate Credential Response (0x0002)',
    bytes: place(
      90,
      [0, [0x09, 0x00]],
      [2, [0x56, 0x00]], // payload length 86
      [4, [0x02, 0x00]],
      [8, CRED_A], // byte 8–23 Credential ID
      [24, te.encode('user-1')], // byte 24–87 User handle
      [88, [6]], // byte 88 User handle length
      [89, [0x01]], // byte 89 Result: has the credential
    ),
    message: {
      type: 'authenticateCredentialResponse',
      credentialId: new Uint8Array(CRED_A),
      userHandle: te.encode('user-1'),
      found: true,
    },
  },
  {
    name: 'FIDO2 Make Credential Request (0x0003)',
    bytes: place(
      487,
      [0, [0x09, 0x00]],
      [2, [0xe3, 0x01]], // payload length 483 = 0x01e3
      [4, [0x03, 0x00]],
      [8, te.encode('example.com')], // byte 8–259 RPID
      [260, [1, 2, 3, 4]], // byte 260–323 User Handle
      [324, [4]], // byte 324 User handle length
      [325, te.encode('alice')], // byte 325–389 User name
      [390, te.encode('Alice Ä.')], // byte 390–454 Display name (UTF-8)
      [455, CDH], // byte 455–486 Client Data Hash
    ),
    message: {
      type: 'makeCredentialRequest',
      rpId: 'example.com',
      userHandle: new Uint8Array([1, 2, 3, 4]),
      userName: 'alice',
      displayName: 'Alice Ä.',
      clientDataHash: new Uint8Array(CDH),
    },
  },
  {
    name: 'FIDO2 Make Credential Response (0x0004)',
    bytes: place(
      213,
      [0, [0x09, 0x00]],
      [2, [0xd1, 0x00]], // payload length 209
      [4, [0x04, 0x00]],
      [8, CRED_A], // byte 8–23 Credential ID
      [24, RPID_HASH], // byte 24–55 RPID Hash
      [56, [0x01, 0x02, 0x03, 0x04]], // byte 56–59 Count, big-endian 0x01020304
      [60, [0x41, 0, 0, 0]], // byte 60–63 Flags (UP | AT), little-endian
      [64, run(32, 0x20)], // byte 64–95 Public key x
      [96, run(32, 0x40)], // byte 96–127 Public key y
      [128, run(64, 0x60)], // byte 128–191 Attest signature
      [192, AAGUID], // byte 192–207 AAGUID
      [208, [16, 0, 0, 0]], // byte 208–211 Credential ID length 16, little-endian
      [212, [0x00]], // byte 212 Error code: success
    ),
    message: {
      type: 'makeCredentialResponse',
      credentialId: new Uint8Array(CRED_A),
      rpIdHash: new Uint8Array(RPID_HASH),
      count: 0x01020304,
      flags: 0x41,
      x: new Uint8Array(run(32, 0x20)),
      y: new Uint8Array(run(32, 0x40)),
      attestSignature: new Uint8Array(run(64, 0x60)),
      aaguid: new Uint8Array(AAGUID),
      credentialIdLength: 16,
      errorCode: 0,
    },
  },
  {
    name: 'FIDO2 Make Credential Response (0x0004), error 0x03 storage exhausted',
    bytes: place(213, [0, [0x09, 0x00]], [2, [0xd1, 0x00]], [4, [0x04, 0x00]], [212, [0x03]]),
    message: {
      type: 'makeCredentialResponse',
      credentialId: new Uint8Array(16),
      rpIdHash: new Uint8Array(32),
      count: 0,
      flags: 0,
      x: new Uint8Array(32),
      y: new Uint8Array(32),
      attestSignature: new Uint8Array(64),
      aaguid: new Uint8Array(16),
      credentialIdLength: 0,
      errorCode: 3,
    },
  },
  {
    name: 'FIDO2 Get Assertion Request (0x0005)',
    bytes: place(
      457,
      [0, [0x09, 0x00]],
      [2, [0xc5, 0x01]], // payload length 453 = 0x01c5
      [4, [0x05, 0x00]],
      [8, te.encode('example.com')], // byte 8–259 RPID
      [260, CDH], // byte 260–291 Client Data Hash
      [292, [2, 0, 0, 0]], // byte 292–295 Allow List Length 2, little-endian
      [296, CRED_A], // byte 296–311 Credential ID 1
      [312, CRED_B], // byte 312–327 Credential ID 2; 328–455 unused (0)
      [456, [0x01]], // byte 456 Flags: silent get assertion
    ),
    message: {
      type: 'getAssertionRequest',
      rpId: 'example.com',
      clientDataHash: new Uint8Array(CDH),
      allowList: [new Uint8Array(CRED_A), new Uint8Array(CRED_B)],
      silent: true,
    },
  },
  {
    name: 'FIDO2 Get Assertion Request (0x0005), ten credentials, prompting',
    bytes: place(
      457,
      [0, [0x09, 0x00]],
      [2, [0xc5, 0x01]],
      [4, [0x05, 0x00]],
      [8, te.encode('a.example')],
      [260, CDH],
      [292, [10, 0, 0, 0]],
      ...Array.from({ length: 10 }, (_, i): [number, number[]] => [296 + 16 * i, run(16, 16 * i)]), // 296–455
    ),
    message: {
      type: 'getAssertionRequest',
      rpId: 'a.example',
      clientDataHash: new Uint8Array(CDH),
      allowList: Array.from({ length: 10 }, (_, i) => new Uint8Array(run(16, 16 * i))),
      silent: false,
    },
  },
  {
    name: 'FIDO2 Get Assertion Response (0x0006)',
    bytes: place(
      210,
      [0, [0x09, 0x00]],
      [2, [0xce, 0x00]], // payload length 206
      [4, [0x06, 0x00]],
      [8, CRED_B], // byte 8–23 Credential ID
      [24, run(64, 0x80)], // byte 24–87 User Handle (all 64 bytes)
      [88, [64]], // byte 88 User Handle Length
      [89, RPID_HASH], // byte 89–120 RPID Hash
      [121, [0, 0, 0, 7]], // byte 121–124 Count 7, big-endian
      [125, [0x01, 0, 0, 0]], // byte 125–128 Flags (UP)
      [129, run(64, 0x33)], // byte 129–192 Attest signature
      [193, AAGUID], // byte 193–208 AAGUID
      [209, [0x00]], // byte 209 Error code
    ),
    message: {
      type: 'getAssertionResponse',
      credentialId: new Uint8Array(CRED_B),
      userHandle: new Uint8Array(run(64, 0x80)),
      rpIdHash: new Uint8Array(RPID_HASH),
      count: 7,
      flags: 1,
      attestSignature: new Uint8Array(run(64, 0x33)),
      aaguid: new Uint8Array(AAGUID),
      errorCode: 0,
    },
  },
  {
    name: 'FIDO2 Get Assertion Response (0x0006), error 0x04 no credentials',
    bytes: place(210, [0, [0x09, 0x00]], [2, [0xce, 0x00]], [4, [0x06, 0x00]], [209, [0x04]]),
    message: {
      type: 'getAssertionResponse',
      credentialId: new Uint8Array(16),
      userHandle: new Uint8Array(0),
      rpIdHash: new Uint8Array(32),
      count: 0,
      flags: 0,
      attestSignature: new Uint8Array(64),
      aaguid: new Uint8Array(16),
      errorCode: 4,
    },
  },
  // ---- extension set (docs/split.md) ----
  {
    name: 'makeCredentialExRequest (0x0103): the seed request plus alg, options, pinUvAuth, an excludeList and the RP name',
    bytes: place(
      756,
      [0, [0x09, 0x00]],
      [2, [0xf0, 0x02]], // payload length 752 = 0x02f0
      [4, [0x03, 0x01]], // 0x0103
      [8, te.encode('example.com')],
      [260, [9]],
      [324, [1]],
      [455, CDH],
      [487, [0xff, 0xfe, 0xff, 0xff]], // alg −257 (RS256), signed 32-bit little-endian
      [491, [0x01]], // options: rk
      [492, [0x01, 0x02, 32]], // pinUvAuth present, protocol 2, param length 32
      [495, run(32, 0x70)], // 495–526 pinUvAuthParam
      [527, [2, 0, 0, 0]], // excludeList length 2
      [531, CRED_A], // 531–546
      [547, CRED_A.map((x) => x ^ 0xff)], // 547–562
      [691, te.encode('Example')], // 691–755 RP name
    ),
    message: {
      type: 'makeCredentialExRequest',
      excludeList: [new Uint8Array(CRED_A), new Uint8Array(CRED_A.map((x) => x ^ 0xff))],
      rpName: 'Example',
      rpId: 'example.com',
      userHandle: new Uint8Array([9]),
      userName: '',
      displayName: '',
      clientDataHash: new Uint8Array(CDH),
      alg: -257,
      rk: true,
      pinUvAuth: { protocol: 2, param: new Uint8Array(run(32, 0x70)) },
    },
  },
  {
    name: 'getAssertionExRequest (0x0105): the seed request plus a zero-length pinUvAuthParam (the probe)',
    bytes: place(
      492,
      [0, [0x09, 0x00]],
      [2, [0xe8, 0x01]], // payload length 488
      [4, [0x05, 0x01]],
      [8, te.encode('example.com')],
      [260, CDH],
      [457, [0x01, 0x01, 0x00]], // pinUvAuth present, protocol 1, param length 0
    ),
    message: {
      type: 'getAssertionExRequest',
      rpId: 'example.com',
      clientDataHash: new Uint8Array(CDH),
      allowList: [],
      silent: false,
      pinUvAuth: { protocol: 1, param: new Uint8Array(0) },
    },
  },
  {
    name: 'getAssertionExResponse (0x0106) with names and a 3-byte signature',
    bytes: place(
      272,
      [0, [0x09, 0x00]],
      [2, [0x0c, 0x01]], // payload length 268
      [4, [0x06, 0x01]],
      [8, CRED_A],
      [24, [7]],
      [88, [1]],
      [89, RPID_HASH],
      [121, [0, 0, 1, 0]], // count 256, big-endian
      [125, [0x05, 0, 0, 0]], // flags UP | UV
      [129, [0x00]], // error code
      [131, te.encode('bob')], // 131–195 user name
      [196, te.encode('Bob B.')], // 196–260 display name
      [261, [3, 0]], // signature length 3, little-endian; 263–264: no long credential ID
      [265, [3, 0, 0, 0]], // number of credentials, 32-bit little-endian
      [269, [0xaa, 0xbb, 0xcc]],
    ),
    message: {
      type: 'getAssertionExResponse',
      credentialId: new Uint8Array(CRED_A),
      userHandle: new Uint8Array([7]),
      rpIdHash: new Uint8Array(RPID_HASH),
      count: 256,
      flags: 5,
      errorCode: 0,
      numberOfCredentials: 3,
      userName: 'bob',
      displayName: 'Bob B.',
      signature: new Uint8Array([0xaa, 0xbb, 0xcc]),
    },
  },
  {
    name: 'clientPinRequest (0x0111): getPinUvAuthTokenUsingPinWithPermissions',
    bytes: place(
      479,
      [0, [0x09, 0x00]],
      [2, [0xdb, 0x01]], // payload length 475
      [4, [0x11, 0x01]],
      [8, [2, 9, 0b111001]], // protocol 2, subCommand 9, present: keyAgreement, pinHashEnc, permissions, rpId
      [12, [0x03, 0, 0, 0]], // permissions mc | ga
      [16, run(32, 0x01)], // keyAgreement x
      [48, run(32, 0x21)], // keyAgreement y
      [194, [32]], // pinHashEnc length
      [195, run(32, 0x41)], // pinHashEnc
      [227, te.encode('example.com')], // rpId
    ),
    message: {
      type: 'clientPinRequest',
      pinUvAuthProtocol: 2,
      subCommand: 9,
      keyAgreement: { x: new Uint8Array(run(32, 0x01)), y: new Uint8Array(run(32, 0x21)) },
      pinHashEnc: new Uint8Array(run(32, 0x41)),
      permissions: 3,
      rpId: 'example.com',
    },
  },
  {
    name: 'clientPinResponse (0x0112): PIN retries and power cycle state',
    bytes: place(126, [0, [0x09, 0x00]], [2, [0x7a, 0x00]], [4, [0x12, 0x01]], [8, [0x00, 0b01100, 1, 8]]),
    message: { type: 'clientPinResponse', status: 0, powerCycleState: true, pinRetries: 8 },
  },
  {
    name: 'errorResponse (0x01fe) carrying CTAP2_ERR_PIN_AUTH_INVALID',
    bytes: place(10, [0, [0x09, 0x00]], [2, [0x06, 0x00]], [4, [0xfe, 0x01]], [8, [0x0a, 0x33]]),
    message: { type: 'errorResponse', errorCode: 10, ctapStatus: 0x33 },
  },
  {
    name: 'resetResponse (0x010a), error 0x05 not allowed',
    bytes: place(9, [0, [0x09, 0x00]], [2, [0x05, 0x00]], [4, [0x0a, 0x01]], [8, [0x05]]),
    message: { type: 'resetResponse', errorCode: 5 },
  },
  {
    name: 'ctap2CommandRequest (0x0113): credentialManagement getCredsMetadata, CBOR {1: 1}',
    bytes: place(
      15,
      [0, [0x09, 0x00]],
      [2, [0x0b, 0x00]],
      [4, [0x13, 0x01]],
      [8, [0x0a, 0x00, 0x03, 0x00]],
      [12, [0xa1, 0x01, 0x01]],
    ),
    message: { type: 'ctap2CommandRequest', command: 0x0a, parameters: new Uint8Array([0xa1, 0x01, 0x01]) },
  },
  {
    name: 'ctap2CommandRequest (0x0113): getInfo, no parameters',
    bytes: place(12, [0, [0x09, 0x00]], [2, [0x08, 0x00]], [4, [0x13, 0x01]], [8, [0x04]]),
    message: { type: 'ctap2CommandRequest', command: 0x04, parameters: new Uint8Array(0) },
  },
  {
    name: 'ctap2CommandResponse (0x0114): success, CBOR {1: 0, 2: 25}',
    bytes: place(
      17,
      [0, [0x09, 0x00]],
      [2, [0x0d, 0x00]],
      [4, [0x14, 0x01]],
      [8, [0x00, 0x00, 0x05, 0x00]],
      [12, [0xa2, 0x01, 0x00, 0x02, 0x18]],
    ),
    message: { type: 'ctap2CommandResponse', status: 0, response: new Uint8Array([0xa2, 0x01, 0x00, 0x02, 0x18]) },
  },
  {
    name: 'ctap2CommandResponse (0x0114): CTAP2_ERR_PUAT_REQUIRED, no body',
    bytes: place(12, [0, [0x09, 0x00]], [2, [0x08, 0x00]], [4, [0x14, 0x01]], [8, [0x36]]),
    message: { type: 'ctap2CommandResponse', status: 0x36, response: new Uint8Array(0) },
  },
  {
    name: 'apduRequest (0x0115): U2F_VERSION for the CTAP1 application',
    bytes: place(
      19,
      [0, [0x09, 0x00]],
      [2, [0x0f, 0x00]],
      [4, [0x15, 0x01]],
      [8, [0x00, 0x00, 0x07, 0x00]],
      [12, [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]],
    ),
    message: { type: 'apduRequest', application: 0, apdu: new Uint8Array([0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]) },
  },
  {
    name: 'apduResponse (0x0116): the Filecoin app answers SW 0x9000',
    bytes: place(
      14,
      [0, [0x09, 0x00]],
      [2, [0x0a, 0x00]],
      [4, [0x16, 0x01]],
      [8, [0x01, 0x00, 0x02, 0x00]],
      [12, [0x90, 0x00]],
    ),
    message: { type: 'apduResponse', application: 1, apdu: new Uint8Array([0x90, 0x00]) },
  },
  {
    name: 'errorResponse (0x01fe), error 0x0a: the CTAP status answers',
    bytes: place(10, [0, [0x09, 0x00]], [2, [0x06, 0x00]], [4, [0xfe, 0x01]], [8, [0x0a, 0x31]]),
    message: { type: 'errorResponse', errorCode: 10, ctapStatus: 0x31 },
  },
  {
    name: 'promptRequest (0x0117): register with example.com, core → front',
    bytes: place(
      63,
      [0, [0x09, 0x00]],
      [2, [0x3b, 0x00]], // payload length 59
      [4, [0x17, 0x01]],
      [8, [0x07, 0x00, 0x00, 0x00]], // 8–11 prompt id 7
      [12, [0x00, 0x00, 0x00, 0x00]], // kind presence, operation 0 makeCredential, options 0, no items
      [16, [11, 0, 7, 0, 5, 0, 5, 0, 9, 0]], // lengths: RP ID, RP name, user name, display name, text
      [26, te.encode('example.comExamplealiceAliceRegister?')],
    ),
    message: {
      type: 'promptRequest',
      id: 7,
      kind: 0,
      operation: 'makeCredential',
      longTouch: false,
      rpId: 'example.com',
      rpName: 'Example',
      userName: 'alice',
      userDisplayName: 'Alice',
      text: 'Register?',
      items: [],
    },
  },
  {
    name: 'promptRequest (0x0117): a Filecoin transaction review with one item',
    bytes: place(
      61,
      [0, [0x09, 0x00]],
      [2, [0x39, 0x00]], // payload length 57
      [4, [0x17, 0x01]],
      [8, [0x04, 0x03, 0x02, 0x01]], // prompt id 0x01020304
      [12, [0x01, 0x09, 0x00, 0x01]], // kind review, operation 9 signTransaction, options 0, one item
      [16, [0, 0, 0, 0, 0, 0, 0, 0, 25, 0]], // only the text
      [26, te.encode('Sign Filecoin transaction')],
      [51, [2, ...te.encode('To'), 5, 0, ...te.encode('f1abc')]], // label length, label, value length (LE), value
    ),
    message: {
      type: 'promptRequest',
      id: 0x01020304,
      kind: 1,
      operation: 'signTransaction',
      longTouch: false,
      rpId: '',
      rpName: '',
      userName: '',
      userDisplayName: '',
      text: 'Sign Filecoin transaction',
      items: [{ label: 'To', value: 'f1abc' }],
    },
  },
  {
    name: 'promptResponse (0x0118): prompt 7 denied, front → core',
    bytes: place(13, [0, [0x09, 0x00]], [2, [0x09, 0x00]], [4, [0x18, 0x01]], [8, [0x07, 0, 0, 0, 0x02]]),
    message: { type: 'promptResponse', id: 7, result: 'denied' },
  },
  {
    name: 'promptCancel (0x0119): prompt 7 withdrawn, core → front',
    bytes: place(12, [0, [0x09, 0x00]], [2, [0x08, 0x00]], [4, [0x19, 0x01]], [8, [0x07, 0, 0, 0]]),
    message: { type: 'promptCancel', id: 7 },
  },
  {
    name: 'powerCycleRequest (0x010b)',
    bytes: place(8, [0, [0x09, 0x00]], [2, [0x04, 0x00]], [4, [0x0b, 0x01]]),
    message: { type: 'powerCycleRequest' },
  },
];

describe('seed 004 messages, byte for byte', () => {
  for (const f of FIXTURES) {
    it(`${f.name}: decodes and encodes to the hand-built bytes`, () => {
      assert.deepEqual(decodeMessage(f.bytes), f.message);
      assert.deepEqual(encodeMessage(f.message), f.bytes);
    });
  }

  it('uses the envelope and message type numbers of the issue', () => {
    assert.deepEqual(
      [0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006],
      [
        Fido2MessageType.authenticateCredentialRequest,
        Fido2MessageType.authenticateCredentialResponse,
        Fido2MessageType.makeCredentialRequest,
        Fido2MessageType.makeCredentialResponse,
        Fido2MessageType.getAssertionRequest,
        Fido2MessageType.getAssertionResponse,
      ],
    );
    const codes = Object.values(Fido2MessageType);
    assert.equal(new Set(codes).size, codes.length, 'message types are distinct');
  });
});

describe('malformed messages get precise errors', () => {
  const valid = (name: string) => FIXTURES.find((f) => f.name.startsWith(name))!.bytes;
  const mutate = (b: Uint8Array, ...edits: Array<[number, number]>) => {
    const c = b.slice();
    for (const [i, v] of edits) c[i] = v;
    return c;
  };
  const rejects = (bytes: Uint8Array, reason: string, text?: RegExp) =>
    assert.throws(
      () => decodeMessage(bytes),
      (e: unknown) => e instanceof SecureCoreMessageError && e.reason === reason && (!text || text.test(e.message)),
    );

  it('envelope', () => {
    rejects(new Uint8Array(7), 'truncated');
    rejects(mutate(valid('FIDO2 Authenticate Credential Request'), [0, 0x08]), 'envelope', /0x0008/);
    rejects(mutate(valid('FIDO2 Authenticate Credential Request'), [6, 1]), 'envelope', /reserved/);
    rejects(mutate(valid('FIDO2 Authenticate Credential Request'), [2, 0x11]), 'length');
    rejects(mutate(valid('FIDO2 Authenticate Credential Request'), [4, 0x42]), 'type', /0x0042/);
    rejects(place(8, [0, [9, 0]], [2, [4, 0]], [4, [1, 0]]), 'truncated', /authenticateCredentialRequest/);
    const long = new Uint8Array(91);
    long.set(valid('FIDO2 Authenticate Credential Response'));
    long[2] = 87;
    rejects(long, 'length');
  });

  it('prompts: lengths, operation, result and UTF-8 are checked', () => {
    const prompt = valid('promptRequest (0x0117): register');
    rejects(mutate(prompt, [13, 10]), 'field', /Operation: 10 is outside 0–9/);
    rejects(mutate(prompt, [14, 2]), 'field', /Options/);
    rejects(mutate(prompt, [16, 12]), 'length'); // RP ID one byte longer: the strings run past the end
    rejects(mutate(prompt, [16, 10]), 'length'); // one byte shorter: a byte is left over
    rejects(mutate(prompt, [26, 0xff]), 'field', /rpId: not UTF-8/);
    rejects(mutate(prompt, [15, 1]), 'length', /item 1/);
    rejects(mutate(valid('promptResponse'), [12, 4]), 'field', /Result: 4 is outside 0–3/);
    const huge = { label: 'x', value: 'v'.repeat(4096) };
    assert.throws(
      () => encodeMessage({ ...decodeMessage(prompt), items: Array(16).fill(huge) } as SecureCoreMessage),
      /does not fit the envelope/,
    );
  });

  it('fields', () => {
    const ga = valid('FIDO2 Get Assertion Request (0x0005)');
    rejects(mutate(ga, [292, 11]), 'field', /Allow List Length: 11 is outside 0–10/);
    rejects(mutate(ga, [295, 1]), 'field', /Allow List Length/); // 0x01000002: big-endian would be read as 2
    rejects(mutate(ga, [330, 1]), 'field', /unused entries/);
    rejects(mutate(ga, [456, 2]), 'field', /Flags/);
    rejects(mutate(ga, [8 + 20, 0x41]), 'field', /RPID: bytes after the terminating NUL/);
    rejects(mutate(ga, [8, 0xff]), 'field', /RPID: not UTF-8/);
    rejects(
      place(457, [0, [9, 0]], [2, [0xc5, 1]], [4, [5, 0]], [8, new Array(252).fill(0x61)]),
      'field',
      /RPID: no terminating NUL/,
    );
    rejects(mutate(valid('FIDO2 Authenticate Credential Response'), [89, 2]), 'field', /Result/);
    rejects(mutate(valid('FIDO2 Authenticate Credential Response'), [88, 65]), 'field', /User handle length/);
    rejects(
      mutate(valid('FIDO2 Authenticate Credential Response'), [40, 1]),
      'field',
      /User handle: bytes after its length/,
    );
    rejects(
      mutate(valid('FIDO2 Make Credential Response (0x0004)'), [212, 4]),
      'field',
      /Error code: 4 is outside 0–3/,
    );
    rejects(mutate(valid('FIDO2 Make Credential Response (0x0004)'), [61, 1]), 'field', /Flags/);
    rejects(mutate(valid('FIDO2 Get Assertion Response (0x0006)'), [209, 5]), 'field', /Error code: 5 is outside 0–4/);
    rejects(mutate(valid('getAssertionExResponse'), [261, 4]), 'length');
    rejects(mutate(valid('getAssertionExRequest'), [457, 0]), 'field', /pinUvAuth \(absent\)/);
    rejects(mutate(valid('clientPinRequest'), [10, 0b110001]), 'field', /pinHashEnc \(absent\)/);
    rejects(mutate(valid('ctap2CommandRequest (0x0113): credentialManagement'), [9, 1]), 'field', /byte 9/);
    rejects(mutate(valid('ctap2CommandRequest (0x0113): credentialManagement'), [10, 4]), 'length');
    rejects(mutate(valid('apduRequest'), [8, 2]), 'field', /application: 2 is outside 0–1/);
    rejects(mutate(valid('errorResponse (0x01fe), error 0x0a'), [8, 11]), 'field', /Error code: 11/);
  });

  it('values that do not fit their field are refused by the encoder', () => {
    const base = FIXTURES.find((f) => f.message.type === 'getAssertionRequest')!.message;
    assert.throws(() => encodeMessage({ ...base, rpId: 'a'.repeat(252) } as SecureCoreMessage), RangeError);
    assert.throws(
      () =>
        encodeMessage({
          ...base,
          allowList: Array.from({ length: 11 }, () => new Uint8Array(16)),
        } as SecureCoreMessage),
      RangeError,
    );
    assert.throws(() => encodeMessage({ ...base, allowList: [new Uint8Array(17)] } as SecureCoreMessage), RangeError);
    assert.throws(
      () => encodeMessage({ ...FIXTURES[1]!.message, userHandle: new Uint8Array(65) } as SecureCoreMessage),
      RangeError,
    );
    // 0x0113–0x0116: the body fits the envelope's 16-bit length (65 535 − 8 bytes).
    assert.equal(
      encodeMessage({ type: 'ctap2CommandRequest', command: 1, parameters: new Uint8Array(65527) }).length,
      65539,
    );
    assert.throws(
      () => encodeMessage({ type: 'ctap2CommandRequest', command: 1, parameters: new Uint8Array(65528) }),
      RangeError,
    );
    assert.throws(() => encodeMessage({ type: 'apduRequest', application: 2, apdu: new Uint8Array(4) }), RangeError);
  });
});

// ---- properties ---------------------------------------------------------------------------------

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const text = (maxBytes: number) =>
  fc
    .string({ unit: 'grapheme', maxLength: maxBytes })
    .filter((s) => !s.includes('\0') && new TextEncoder().encode(s).length <= maxBytes);
const handle = fc.uint8Array({ maxLength: 64 });
const u32 = fc.nat({ max: 0xffffffff });
const flags = fc.nat({ max: 0xff });
const sig = fc.uint8Array({ maxLength: 300 });

const pinUvAuth = fc.record({ protocol: fc.nat({ max: 255 }), param: fc.uint8Array({ maxLength: 32 }) });
const point = fc.record({ x: bytes(32), y: bytes(32) });
const getAssertionFields = {
  rpId: text(251),
  clientDataHash: bytes(32),
  allowList: fc.array(bytes(16), { maxLength: 10 }),
  silent: fc.boolean(),
};
const assertionExFields = {
  credentialId: fc.oneof(bytes(16), fc.uint8Array({ minLength: 17, maxLength: 1023 })),
  userHandle: handle,
  rpIdHash: bytes(32),
  count: u32,
  flags,
  errorCode: fc.nat({ max: 10 }),
  numberOfCredentials: u32,
  userName: text(64),
  displayName: text(64),
  signature: sig,
};

const messageArb: fc.Arbitrary<SecureCoreMessage> = fc.oneof(
  fc.record({ type: fc.constant('authenticateCredentialRequest' as const), rpId: text(251), credentialId: bytes(16) }),
  fc.record({
    type: fc.constant('authenticateCredentialResponse' as const),
    credentialId: bytes(16),
    userHandle: handle,
    found: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('makeCredentialRequest' as const),
    rpId: text(251),
    userHandle: handle,
    userName: text(64),
    displayName: text(64),
    clientDataHash: bytes(32),
  }),
  fc.record({
    type: fc.constant('makeCredentialResponse' as const),
    credentialId: bytes(16),
    rpIdHash: bytes(32),
    count: u32,
    flags,
    x: bytes(32),
    y: bytes(32),
    attestSignature: bytes(64),
    aaguid: bytes(16),
    credentialIdLength: fc.nat({ max: 16 }),
    errorCode: fc.nat({ max: 3 }),
  }),
  fc.record({ type: fc.constant('getAssertionRequest' as const), ...getAssertionFields }),
  fc.record(
    { type: fc.constant('getAssertionExRequest' as const), ...getAssertionFields, pinUvAuth },
    { requiredKeys: ['type', 'rpId', 'clientDataHash', 'allowList', 'silent'] },
  ),
  fc.record({
    type: fc.constant('getAssertionResponse' as const),
    credentialId: bytes(16),
    userHandle: handle,
    rpIdHash: bytes(32),
    count: u32,
    flags,
    attestSignature: bytes(64),
    aaguid: bytes(16),
    errorCode: fc.nat({ max: 4 }),
  }),
  fc.record({
    type: fc.constant('deviceInfoResponse' as const),
    aaguid: bytes(16),
    attestation: fc.nat({ max: 2 }),
    certificate: fc.uint8Array({ maxLength: 600 }),
    pinSet: fc.boolean(),
  }),
  fc.record(
    {
      type: fc.constant('makeCredentialExRequest' as const),
      rpId: text(251),
      userHandle: handle,
      userName: text(64),
      displayName: text(64),
      clientDataHash: bytes(32),
      alg: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      rk: fc.boolean(),
      pinUvAuth,
      excludeList: fc.array(bytes(16), { maxLength: 10 }),
      rpName: text(64),
    },
    {
      requiredKeys: [
        'type',
        'rpId',
        'userHandle',
        'userName',
        'displayName',
        'clientDataHash',
        'alg',
        'rk',
        'excludeList',
        'rpName',
      ],
    },
  ),
  fc.record({
    type: fc.constant('makeCredentialExResponse' as const),
    credentialId: bytes(16),
    rpIdHash: bytes(32),
    count: u32,
    flags,
    aaguid: bytes(16),
    errorCode: fc.nat({ max: 10 }),
    publicKey: fc.uint8Array({ maxLength: 300 }),
    signature: sig,
  }),
  fc.record({
    type: fc.constantFrom('getAssertionExResponse' as const, 'getNextAssertionResponse' as const),
    ...assertionExFields,
  }),
  fc.record({
    type: fc.constantFrom(
      'deviceInfoRequest' as const,
      'getNextAssertionRequest' as const,
      'resetRequest' as const,
      'powerCycleRequest' as const,
      'selectionRequest' as const,
      'cancelRequest' as const,
    ),
  }),
  fc.record({
    type: fc.constantFrom('resetResponse' as const, 'powerCycleResponse' as const, 'selectionResponse' as const),
    errorCode: fc.nat({ max: 10 }),
  }),
  fc.record({
    type: fc.constant('errorResponse' as const),
    errorCode: fc.nat({ max: 10 }),
    ctapStatus: fc.nat({ max: 255 }),
  }),
  fc.record({
    type: fc.constant('ctap2CommandRequest' as const),
    command: fc.nat({ max: 255 }),
    parameters: fc.uint8Array({ maxLength: 2000 }),
  }),
  fc.record({
    type: fc.constant('ctap2CommandResponse' as const),
    status: fc.nat({ max: 255 }),
    response: fc.uint8Array({ maxLength: 2000 }),
  }),
  fc.record({
    type: fc.constantFrom('apduRequest' as const, 'apduResponse' as const),
    application: fc.nat({ max: 1 }),
    apdu: fc.uint8Array({ maxLength: 600 }),
  }),
  fc.record(
    {
      type: fc.constant('clientPinRequest' as const),
      pinUvAuthProtocol: fc.nat({ max: 255 }),
      subCommand: fc.nat({ max: 255 }),
      keyAgreement: point,
      pinUvAuthParam: fc.uint8Array({ maxLength: 32 }),
      newPinEnc: fc.uint8Array({ maxLength: 80 }),
      pinHashEnc: fc.uint8Array({ maxLength: 32 }),
      permissions: u32,
      rpId: text(251),
    },
    { requiredKeys: ['type', 'pinUvAuthProtocol', 'subCommand'] },
  ),
  fc.record({
    type: fc.constant('promptRequest' as const),
    id: u32,
    kind: fc.constantFrom(0 as const, 1 as const),
    operation: fc.constantFrom(...PROMPT_OPERATIONS),
    longTouch: fc.boolean(),
    rpId: text(300),
    rpName: text(64),
    userName: text(64),
    userDisplayName: text(64),
    text: text(200),
    items: fc.array(fc.record({ label: text(40), value: text(200) }), { maxLength: 5 }),
  }),
  fc.record({ type: fc.constant('promptResponse' as const), id: u32, result: fc.constantFrom(...PROMPT_RESULTS) }),
  fc.record({ type: fc.constant('promptCancel' as const), id: u32 }),
  fc.record(
    {
      type: fc.constant('clientPinResponse' as const),
      status: fc.nat({ max: 255 }),
      keyAgreement: point,
      pinUvAuthToken: fc.uint8Array({ maxLength: 48 }),
      pinRetries: fc.nat({ max: 255 }),
      powerCycleState: fc.boolean(),
      uvRetries: fc.nat({ max: 255 }),
    },
    { requiredKeys: ['type', 'status'] },
  ),
);

/** fc.record objects have a null prototype; decoded ones are plain. */
function plain<T>(v: T): T {
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
}

/** Decoding either fails with SecureCoreMessageError or yields a message that encodes to the same bytes. */
function decodesCanonicallyOrRejects(b: Uint8Array): void {
  let m: SecureCoreMessage;
  try {
    m = decodeMessage(b);
  } catch (e) {
    assert.ok(e instanceof SecureCoreMessageError, `unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
    return;
  }
  assert.deepEqual(encodeMessage(m), b);
}

describe('properties', () => {
  it('decode(encode(m)) = m for every message', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const encoded = encodeMessage(m);
        assert.deepEqual(decodeMessage(encoded), plain(m));
      }),
      { numRuns: 1500 },
    );
  });

  it('random bytes: a SecureCoreMessageError or a canonical message, never a crash', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), decodesCanonicallyOrRejects), { numRuns: 3000 });
    // Random bytes behind a plausible envelope, so the layouts' field checks are reached.
    const plausible = fc
      .tuple(fc.constantFrom(...Object.values(Fido2MessageType)), fc.uint8Array({ minLength: 0, maxLength: 600 }))
      .map(([type, body]) => {
        const b = new Uint8Array(8 + body.length);
        b.set([0x09, 0x00, (b.length - 4) & 0xff, (b.length - 4) >> 8, type & 0xff, type >> 8, 0, 0]);
        b.set(body, 8);
        return b;
      });
    fc.assert(fc.property(plausible, decodesCanonicallyOrRejects), { numRuns: 3000 });
  });

  it('valid messages with corrupted bytes: rejected or still canonical', () => {
    const corrupted = fc
      .tuple(messageArb, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }))
      .map(([m, edits]) => {
        const b = encodeMessage(m);
        for (const [i, v] of edits) b[i % b.length] = v;
        return b;
      });
    fc.assert(fc.property(corrupted, decodesCanonicallyOrRejects), { numRuns: 3000 });
  });

  it('stream framing: any split of a message sequence gives back the messages', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (messages, cuts) => {
          const encoded = messages.map(encodeMessage);
          const stream = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
          let o = 0;
          for (const e of encoded) {
            stream.set(e, o);
            o += e.length;
          }
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const framer = new MessageFramer();
          const out: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            out.push(...framer.push(stream.subarray(last, p)));
            last = p;
          }
          assert.deepEqual(out, encoded);
          assert.equal(framer.pending, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stream framing: bytes that are not a FIDO2 envelope stop the stream', () => {
    assert.throws(() => new MessageFramer().push(new Uint8Array([0x01, 0x00, 0x04, 0x00])), SecureCoreMessageError);
    assert.throws(() => new MessageFramer().push(new Uint8Array([0x09, 0x00, 0x02, 0x00])), SecureCoreMessageError);
  });
});
