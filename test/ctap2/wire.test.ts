/**
 * The per-command wire modules (src/ctap2/<command>.ts, issue 21 item 1): for each, a fast-check round
 * trip both ways (platform encode → authenticator decode, authenticator encode → platform decode), and
 * captured vectors from real authenticators or the spec, decoded and re-encoded byte for byte.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode as cbor2Encode } from 'cbor2';
import fc from 'fast-check';
import { toHex } from '../../src/encoding/bytes.js';
import { encode } from '../../src/encoding/cbor.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  decodeGetAssertionRequest,
  decodeGetAssertionResponse,
  encodeGetAssertionRequest,
  encodeGetAssertionResponse,
  GetAssertionKey,
  type GetAssertionRequest,
  type GetAssertionResponse,
} from '../../src/ctap2/getAssertion.js';
import {
  decodeGetInfoResponse,
  encodeGetInfoRequest,
  encodeGetInfoResponse,
  GetInfoKey,
  type GetInfoResponse,
} from '../../src/ctap2/getInfo.js';
import {
  decodeMakeCredentialRequest,
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  encodeMakeCredentialResponse,
  MakeCredentialKey,
  type MakeCredentialRequest,
  type MakeCredentialResponse,
} from '../../src/ctap2/makeCredential.js';
import {
  decodeLargeBlobsRequest,
  decodeLargeBlobsResponse,
  encodeLargeBlobsRequest,
  encodeLargeBlobsResponse,
  type LargeBlobsRequest,
  type LargeBlobsResponse,
} from '../../src/ctap2/largeBlobs.js';
import {
  ConfigSubCommand,
  decodeAuthenticatorConfigRequest,
  encodeAuthenticatorConfigRequest,
  type ConfigRequest,
  type SetMinPINLengthParams,
} from '../../src/ctap2/authenticatorConfig.js';
import {
  credentialManagementAuthMessage,
  CredentialManagementSubCommand as CM,
  decodeCredentialManagementRequest,
  decodeCredentialManagementResponse,
  encodeCredentialManagementRequest,
  encodeCredentialManagementResponse,
  type CredentialManagementCommand,
  type CredentialManagementRequest,
  type CredentialManagementResponse,
} from '../../src/ctap2/credentialManagement.js';
import { encodeCredentialManagementCall } from '../../src/ctap2/hostCodec.js';
import { pinUvAuthPrimitives } from '../../src/ctap2/pinUvAuthProtocol.js';
import type {
  CredentialDescriptor,
  PublicKeyCredentialRpEntity,
  PublicKeyCredentialUserEntity,
} from '../../src/ctap2/entities.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { createHash, createHmac, createPublicKey } from 'node:crypto';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ok = (body: Uint8Array) => Uint8Array.of(0, ...body);
const RUNS = { numRuns: 200 };

// fast-check arbitraries: optional members are absent (never `undefined`), as the decoders give them.
const bytes = (max = 64) => fc.uint8Array({ maxLength: max });
const text = fc.string({ maxLength: 20 });
const uint = fc.nat({ max: 2 ** 32 });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/** A record of arbitraries whose absent members are dropped. */
const record = <T extends object>(model: { [K in keyof T]?: fc.Arbitrary<T[K] | undefined> }): fc.Arbitrary<T> =>
  fc
    .record(model as Record<string, fc.Arbitrary<unknown>>)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as T);

const rp = record<PublicKeyCredentialRpEntity>({ id: text, name: opt(text) });
const user = record<PublicKeyCredentialUserEntity>({ id: bytes(64), name: opt(text), displayName: opt(text) });
const descriptor = record<CredentialDescriptor>({
  type: text,
  id: bytes(),
  transports: opt(fc.array(text, { maxLength: 3 })),
});
/** fast-check dictionaries have a null prototype; decoded records are plain objects. */
const dictionary = <T>(k: fc.Arbitrary<string>, v: fc.Arbitrary<T>) => fc.dictionary(k, v).map((d) => ({ ...d }));
const options = dictionary(fc.constantFrom('rk', 'up', 'uv', 'x'), fc.boolean());
const extensions = fc.constant(new Map([['credProtect', 2]]));

const makeCredentialRequest = record<MakeCredentialRequest>({
  clientDataHash: bytes(32),
  rp,
  user,
  pubKeyCredParams: fc.array(record({ type: text, alg: fc.integer({ min: -300, max: 300 }) }), { maxLength: 3 }),
  excludeList: opt(fc.array(descriptor, { maxLength: 3 })),
  extensions: opt(extensions),
  options: opt(options),
  pinUvAuthParam: opt(bytes(32)),
  pinUvAuthProtocol: opt(fc.constantFrom(1, 2)),
  enterpriseAttestation: opt(fc.constantFrom(1, 2)),
  attestationFormatsPreference: opt(fc.array(text, { maxLength: 3 })),
});

const makeCredentialResponse = record<MakeCredentialResponse>({
  fmt: text,
  authData: bytes(100),
  attStmt: fc.oneof(
    fc.constant(
      new Map<string, Uint8Array | number>([
        ['alg', -7],
        ['sig', new Uint8Array([1, 2])],
      ]),
    ),
    fc.constant([]),
  ),
  epAtt: opt(fc.boolean()),
  largeBlobKey: opt(bytes(32)),
});

const getAssertionRequest = record<GetAssertionRequest>({
  rpId: text,
  clientDataHash: bytes(32),
  allowList: opt(fc.array(descriptor, { minLength: 1, maxLength: 3 })),
  extensions: opt(extensions),
  options: opt(options),
  pinUvAuthParam: opt(bytes(32)),
  pinUvAuthProtocol: opt(fc.constantFrom(1, 2)),
});

const getAssertionResponse = record<GetAssertionResponse>({
  credential: record({ type: fc.constant('public-key' as const), id: bytes() }),
  authData: bytes(100),
  signature: bytes(72),
  user: opt(user),
  numberOfCredentials: opt(uint),
  userSelected: opt(fc.boolean()),
  largeBlobKey: opt(bytes(32)),
});

const getInfoResponse = record<GetInfoResponse>({
  versions: fc.array(text, { maxLength: 3 }),
  extensions: opt(fc.array(text, { maxLength: 3 })),
  aaguid: bytes(16),
  options: opt(options),
  maxMsgSize: opt(uint),
  pinUvAuthProtocols: opt(fc.array(fc.constantFrom(1, 2))),
  algorithms: opt(fc.array(record({ type: fc.constant('public-key' as const), alg: fc.integer() }))),
  forcePINChange: opt(fc.boolean()),
  certifications: opt(dictionary(fc.constantFrom('FIPS-CMVP-2', 'FIDO'), uint)),
  encIdentifier: opt(bytes()),
  authenticatorConfigCommands: opt(fc.array(uint)),
});

describe('makeCredential wire (CTAP 2.1 §6.1)', () => {
  it('request: authenticator decode ∘ platform encode is the identity, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(makeCredentialRequest, (req) => {
        const wire = encodeMakeCredentialRequest(req);
        assert.equal(wire[0], Command.authenticatorMakeCredential);
        const back = decodeMakeCredentialRequest(wire.subarray(1));
        assert.deepEqual(back, req);
        assert.deepEqual(encodeMakeCredentialRequest(back), wire);
      }),
      RUNS,
    );
  });
  it('response: platform decode ∘ authenticator encode is the identity', () => {
    fc.assert(
      fc.property(makeCredentialResponse, (res) => {
        const body = encodeMakeCredentialResponse(res);
        const back = decodeMakeCredentialResponse(ok(body));
        assert.deepEqual(back, res);
        assert.deepEqual(encodeMakeCredentialResponse(back), body);
      }),
      RUNS,
    );
  });
  it('a YubiKey packed-attestation response (python-fido2 tests/test_ctap2.py _MC_RESP) round-trips byte for byte', () => {
    const res = decodeMakeCredentialResponse(ok(MC_RESP));
    assert.equal(res.fmt, 'packed');
    assert.equal(res.authData.length, 0xc4);
    assert.ok(res.attStmt instanceof Map);
    assert.deepEqual([...res.attStmt.keys()], ['alg', 'sig', 'x5c']);
    assert.equal(toHex(encodeMakeCredentialResponse(res)), toHex(MC_RESP));
  });
  it('the CTAP 2.0 §5.1 example request decodes; the icons are checked and dropped', () => {
    // The spec's example in diagnostic notation, encoded by cbor2 (an independent encoder).
    const clientDataHash = hex('687134968222EC17202E42505F8ED2B16AE22F16BB05B88C25DB9E602645F141');
    const userId = hex('3082019330820138A0030201023082019330820138A003020102308201933082');
    const example = new Map<number, unknown>([
      [1, clientDataHash],
      [2, { id: 'example.com', name: 'Acme' }],
      [
        3,
        {
          id: userId,
          icon: 'https://pics.example.com/00/p/aBjjjpqPb.png',
          name: 'johnpsmith@example.com',
          displayName: 'John P. Smith',
        },
      ],
      [
        4,
        [
          { alg: -7, type: 'public-key' },
          { alg: -257, type: 'public-key' },
        ],
      ],
      [7, { rk: true }],
    ]);
    const req = decodeMakeCredentialRequest(cbor2Encode(example, { cde: true }));
    assert.deepEqual(req, {
      clientDataHash,
      rp: { id: 'example.com', name: 'Acme' },
      user: { id: userId, name: 'johnpsmith@example.com', displayName: 'John P. Smith' },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      options: { rk: true },
    });
    const { icon: _icon, ...userWithoutIcon } = example.get(3) as Record<string, unknown>;
    const expected = cbor2Encode(new Map([...example, [3, userWithoutIcon]]), { cde: true });
    assert.equal(toHex(encodeMakeCredentialRequest(req).subarray(1)), toHex(expected));
  });
  it('keeps the statuses: missing member, wrong type, long user.id', () => {
    const valid = encodeMakeCredentialRequest({
      clientDataHash: new Uint8Array(32),
      rp: { id: 'a' },
      user: { id: new Uint8Array(1) },
      pubKeyCredParams: [],
    }).subarray(1);
    const m = (edit: (map: Map<number, unknown>) => void) => {
      const map = new Map<number, unknown>([
        [MakeCredentialKey.clientDataHash, new Uint8Array(32)],
        [MakeCredentialKey.rp, { id: 'a' }],
        [MakeCredentialKey.user, { id: new Uint8Array(1) }],
        [MakeCredentialKey.pubKeyCredParams, []],
      ]);
      edit(map);
      return cbor2Encode(map, { cde: true });
    };
    assert.deepEqual(
      m(() => {}),
      valid,
    );
    const status = (params: Uint8Array) => {
      try {
        decodeMakeCredentialRequest(params);
        return Status.CTAP2_OK;
      } catch (e) {
        assert.ok(e instanceof CtapError);
        return e.status;
      }
    };
    assert.equal(status(m((x) => x.delete(MakeCredentialKey.rp))), Status.CTAP2_ERR_MISSING_PARAMETER);
    assert.equal(status(m((x) => x.set(MakeCredentialKey.rp, 'a'))), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    assert.equal(status(m((x) => x.set(MakeCredentialKey.options, { up: 1 }))), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    assert.equal(
      status(m((x) => x.set(MakeCredentialKey.user, { id: new Uint8Array(65) }))),
      Status.CTAP1_ERR_INVALID_LENGTH,
    );
    assert.equal(status(Uint8Array.of(0xa1, 0x01)), Status.CTAP2_ERR_INVALID_CBOR);
    assert.equal(status(Uint8Array.of(0x80)), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('getAssertion wire (CTAP 2.1 §6.2)', () => {
  it('request: authenticator decode ∘ platform encode is the identity', () => {
    fc.assert(
      fc.property(getAssertionRequest, (req) => {
        const wire = encodeGetAssertionRequest(req);
        assert.equal(wire[0], Command.authenticatorGetAssertion);
        const back = decodeGetAssertionRequest(wire.subarray(1));
        assert.deepEqual(back, req);
        assert.deepEqual(encodeGetAssertionRequest(back), wire);
      }),
      RUNS,
    );
  });
  it('response: platform decode ∘ authenticator encode is the identity', () => {
    fc.assert(
      fc.property(getAssertionResponse, (res) => {
        const body = encodeGetAssertionResponse(res);
        const back = decodeGetAssertionResponse(ok(body));
        assert.deepEqual(back, res);
        assert.deepEqual(encodeGetAssertionResponse(back), body);
      }),
      RUNS,
    );
  });
  it('an empty allowList decodes as none (§6.2.2 step 2)', () => {
    const req = decodeGetAssertionRequest(
      encode(
        new Map<number, string | Uint8Array | []>([
          [GetAssertionKey.rpId, 'a'],
          [GetAssertionKey.clientDataHash, new Uint8Array(32)],
          [GetAssertionKey.allowList, []],
        ]),
      ),
    );
    assert.deepEqual(req, { rpId: 'a', clientDataHash: new Uint8Array(32) });
  });
  it('a YubiKey response (python-fido2 tests/test_ctap2.py _GA_RESP) round-trips byte for byte', () => {
    const res = decodeGetAssertionResponse(ok(GA_RESP));
    assert.equal(toHex(res.credential.id).slice(0, 8), 'fe3aac03');
    assert.equal(toHex(res.authData), '0021f5fc0b85cd22e60623bcd7d1ca48948909249b4776eb515154e57b66ae12010000001d');
    assert.equal(res.signature.length, 0x46);
    assert.equal(res.user, undefined);
    assert.equal(toHex(encodeGetAssertionResponse(res)), toHex(GA_RESP));
  });
  it('fills in an omitted credential from a one-entry allowList (§6.2.2)', () => {
    const res = {
      credential: { type: 'public-key' as const, id: Uint8Array.of(9) },
      authData: Uint8Array.of(1),
      signature: Uint8Array.of(2),
    };
    const body = encode(
      new Map([
        [2, res.authData],
        [3, res.signature],
      ]),
    );
    assert.deepEqual(decodeGetAssertionResponse(ok(body), [{ type: 'public-key', id: Uint8Array.of(9) }]), res);
    assert.throws(
      () => decodeGetAssertionResponse(ok(body)),
      (e) => e instanceof CtapError && e.status === Status.CTAP2_ERR_MISSING_PARAMETER,
    );
  });
});

describe('getInfo wire (CTAP 2.1 §6.4)', () => {
  it('the request is the command byte alone', () => {
    assert.deepEqual(encodeGetInfoRequest(), Uint8Array.of(Command.authenticatorGetInfo));
  });
  it('response: platform decode ∘ authenticator encode is the identity', () => {
    fc.assert(
      fc.property(getInfoResponse, (res) => {
        const body = encodeGetInfoResponse(res);
        const { raw, ...back } = decodeGetInfoResponse(ok(body));
        assert.deepEqual(back, res);
        assert.equal(raw.get(GetInfoKey.aaguid), back.aaguid);
        assert.deepEqual(encodeGetInfoResponse(back), body);
      }),
      RUNS,
    );
  });
  it('a YubiKey response (python-fido2 tests/test_ctap2.py _INFO) round-trips byte for byte', () => {
    const { raw: _raw, ...info } = decodeGetInfoResponse(ok(INFO));
    assert.deepEqual(info, {
      versions: ['U2F_V2', 'FIDO_2_0'],
      extensions: ['uvm', 'hmac-secret'],
      aaguid: hex('F8A011F38C0A4D15800617111F9EDC7D'),
      options: { rk: true, up: true, plat: false, clientPin: false },
      maxMsgSize: 1200,
      pinUvAuthProtocols: [1],
    });
    assert.equal(toHex(encodeGetInfoResponse(info)), toHex(INFO));
  });
});

const largeBlobsRequest = record<LargeBlobsRequest>({
  get: opt(uint),
  set: opt(bytes(100)),
  offset: uint,
  length: opt(uint),
  pinUvAuthParam: opt(bytes(32)),
  pinUvAuthProtocol: opt(fc.constantFrom(1, 2)),
});
const largeBlobsResponse = record<LargeBlobsResponse>({ config: opt(bytes(100)) });

describe('largeBlobs wire (CTAP 2.1 §6.10)', () => {
  it('request and response round-trip both ways', () => {
    fc.assert(
      fc.property(largeBlobsRequest, largeBlobsResponse, (req, res) => {
        const wire = encodeLargeBlobsRequest(req);
        assert.equal(wire[0], Command.authenticatorLargeBlobs);
        assert.deepEqual(decodeLargeBlobsRequest(wire.subarray(1)), req);
        const body = encodeLargeBlobsResponse(res);
        assert.deepEqual(decodeLargeBlobsResponse(body ? ok(body) : Uint8Array.of(0)), res);
      }),
      RUNS,
    );
  });
  it("a fresh authenticator's read: the spec's initial array h'8076be8b528d0075f7aae98d6fa57a6d3c' (§6.10.2)", () => {
    const initial = hex('8076be8b528d0075f7aae98d6fa57a6d3c');
    // Its trailer is LEFT(SHA-256(h'80'), 16), checked here with node:crypto.
    assert.equal(
      toHex(initial.subarray(1)),
      createHash('sha256').update(Uint8Array.of(0x80)).digest('hex').slice(0, 32),
    );
    const read = encodeLargeBlobsRequest({ get: 1024, offset: 0 });
    assert.equal(toHex(read), '0ca20119040003' + '00');
    assert.deepEqual(decodeLargeBlobsRequest(read.subarray(1)), { offset: 0, get: 1024 });
    const answer = hex('a10151' + '8076be8b528d0075f7aae98d6fa57a6d3c');
    assert.deepEqual(decodeLargeBlobsResponse(ok(answer)), { config: initial });
    assert.equal(toHex(encodeLargeBlobsResponse({ config: initial })!), toHex(answer));
  });
});

const configRequest = record<ConfigRequest>({
  subCommand: fc.constant(ConfigSubCommand.setMinPINLength),
  setMinPINLength: opt(
    record<SetMinPINLengthParams>({
      newMinPINLength: opt(fc.nat({ max: 63 })),
      minPinLengthRPIDs: opt(fc.array(text, { minLength: 1, maxLength: 3 })),
      forceChangePin: opt(fc.boolean()),
      pinComplexityPolicy: opt(fc.boolean()),
    }).filter((p) => Object.keys(p).length > 0),
  ),
  pinUvAuthProtocol: opt(fc.constantFrom(1, 2)),
  pinUvAuthParam: opt(bytes(32)),
});

describe('authenticatorConfig wire (CTAP 2.1 §6.11)', () => {
  it('setMinPINLength requests round-trip; the decoder keeps the subCommandParams bytes it authenticates', () => {
    fc.assert(
      fc.property(configRequest, (req) => {
        const wire = encodeAuthenticatorConfigRequest(req);
        assert.equal(wire[0], Command.authenticatorConfig);
        const { subCommandParamsEncoded, ...back } = decodeAuthenticatorConfigRequest(wire.subarray(1));
        assert.deepEqual(back, req);
        if (req.setMinPINLength)
          assert.ok(subCommandParamsEncoded && toHex(wire).includes(toHex(subCommandParamsEncoded)));
        assert.deepEqual(
          encodeAuthenticatorConfigRequest({ ...back, ...(subCommandParamsEncoded && { subCommandParamsEncoded }) }),
          wire,
        );
      }),
      RUNS,
    );
  });
  it('toggleAlwaysUv under protocol two (CTAP 2.1 §6.11.3) is 0d a3 01 02 03 02 04 58 20 …', () => {
    const param = new Uint8Array(32).fill(0x11);
    const wire = encodeAuthenticatorConfigRequest({
      subCommand: ConfigSubCommand.toggleAlwaysUv,
      pinUvAuthProtocol: 2,
      pinUvAuthParam: param,
    });
    assert.equal(toHex(wire), '0da30102030204' + '5820' + '11'.repeat(32));
    assert.deepEqual(decodeAuthenticatorConfigRequest(wire.subarray(1)), {
      subCommand: 2,
      pinUvAuthProtocol: 2,
      pinUvAuthParam: param,
    });
  });
});

const credentialManagementCommand = fc.constantFrom<CredentialManagementCommand>(
  Command.authenticatorCredentialManagement,
  Command.authenticatorCredentialManagementPreview,
);
const credentialManagementRequest = record<CredentialManagementRequest>({
  subCommand: fc.integer({ min: 0, max: 255 }),
  subCommandParams: opt(record({ rpIDHash: opt(bytes(32)), credentialID: opt(descriptor), user: opt(user) })),
  pinUvAuthProtocol: opt(fc.constantFrom(1, 2)),
  pinUvAuthParam: opt(bytes(32)),
});
const coseKey = fc.tuple(bytes(32), bytes(32)).map(
  ([x, y]) =>
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]),
);
const credentialManagementResponse = record<CredentialManagementResponse>({
  existingResidentCredentialsCount: opt(uint),
  maxPossibleRemainingResidentCredentialsCount: opt(uint),
  rp: opt(rp),
  rpIDHash: opt(bytes(32)),
  totalRPs: opt(uint),
  user: opt(user),
  credentialID: opt(record({ type: fc.constant('public-key' as const), id: bytes() })),
  publicKey: opt(coseKey),
  totalCredentials: opt(uint),
  credProtect: opt(fc.constantFrom(1, 2, 3)),
  largeBlobKey: opt(bytes(32)),
  thirdPartyPayment: opt(fc.boolean()),
});

describe('credentialManagement wire (CTAP 2.1 §6.8; 0x0A and the prototype 0x41)', () => {
  it('request: authenticator decode ∘ platform encode is the identity; both sides authenticate the same message', () => {
    fc.assert(
      fc.property(credentialManagementRequest, credentialManagementCommand, (req, command) => {
        const wire = encodeCredentialManagementRequest(req, command);
        assert.equal(wire[0], command);
        const decoded = decodeCredentialManagementRequest(wire.subarray(1));
        const { subCommandParamsEncoded, ...back } = decoded;
        assert.deepEqual(back, req);
        assert.equal(subCommandParamsEncoded !== undefined, req.subCommandParams !== undefined);
        if (subCommandParamsEncoded) assert.ok(toHex(wire).includes(toHex(subCommandParamsEncoded)));
        // subCommand ‖ subCommandParams: the bytes the authenticator received are the ones the platform signed.
        assert.deepEqual(credentialManagementAuthMessage(decoded), credentialManagementAuthMessage(req));
        assert.deepEqual(encodeCredentialManagementRequest(decoded, command), wire);
      }),
      RUNS,
    );
  });
  it('response: platform decode ∘ authenticator encode is the identity', () => {
    fc.assert(
      fc.property(credentialManagementResponse, (res) => {
        const body = encodeCredentialManagementResponse(res);
        const back = decodeCredentialManagementResponse(body ? ok(body) : Uint8Array.of(0));
        assert.deepEqual(back, res);
        assert.deepEqual(encodeCredentialManagementResponse(back), body);
      }),
      RUNS,
    );
  });
  it("python-fido2 0.9.1's requests (updateUserInformation on 0x0A, deleteCredential on 0x41) byte for byte", () => {
    const token = Uint8Array.from({ length: 32 }, (_, i) => i);
    const credentialID = { type: 'public-key', id: hex('19f7780ca0bcb9a6d51ed787fb6c8003') };
    const user = { id: RK_USER_ID, name: 'bob banana', displayName: 'bbanana' };
    const update = encodeCredentialManagementCall(
      { subCommand: CM.updateUserInformation, subCommandParams: { credentialID, user } },
      { protocol: pinUvAuthPrimitives(2), pinUvAuthToken: token },
    );
    assert.equal(toHex(update), toHex(PY_UPDATE_V2));
    const remove = encodeCredentialManagementCall(
      { subCommand: CM.deleteCredential, subCommandParams: { credentialID } },
      { protocol: pinUvAuthPrimitives(1), pinUvAuthToken: token },
      Command.authenticatorCredentialManagementPreview,
    );
    assert.equal(toHex(remove), toHex(PY_DELETE_V1_PREVIEW));
    // The authenticator's side: pinUvAuthParam is HMAC-SHA-256(token, subCommand ‖ the subCommandParams received)
    // (protocol 2 whole, protocol 1 its first 16 bytes), computed here with node:crypto.
    for (const [wire, length] of [
      [PY_UPDATE_V2, 32],
      [PY_DELETE_V1_PREVIEW, 16],
    ] as const) {
      const req = decodeCredentialManagementRequest(wire.subarray(1));
      const mac = createHmac('sha256', token).update(credentialManagementAuthMessage(req)).digest();
      assert.equal(toHex(req.pinUvAuthParam!), mac.subarray(0, length).toString('hex'));
    }
  });
  it("an authenticator's answers as libfido2 replays them (fuzz/wiredata_fido2.h) round-trip byte for byte", () => {
    const metadata = decodeCredentialManagementResponse(ok(CM_METADATA));
    assert.deepEqual(metadata, {
      existingResidentCredentialsCount: 0,
      maxPossibleRemainingResidentCredentialsCount: 25,
    });
    assert.equal(toHex(encodeCredentialManagementResponse(metadata)!), toHex(CM_METADATA));

    const rp = decodeCredentialManagementResponse(ok(CM_RP_BEGIN));
    assert.deepEqual(rp.rp, { id: 'yubico.com' });
    assert.equal(rp.totalRPs, 3);
    assert.equal(toHex(rp.rpIDHash!), createHash('sha256').update('yubico.com').digest('hex'));
    assert.equal(toHex(encodeCredentialManagementResponse(rp)!), toHex(CM_RP_BEGIN));

    const cred = decodeCredentialManagementResponse(ok(CM_CREDENTIAL_BEGIN));
    assert.deepEqual(cred.user, { id: RK_USER_ID, name: 'bob banana', displayName: 'bbanana' });
    assert.deepEqual(cred.credentialID, { type: 'public-key', id: hex('19f7780ca0bcb9a6d51ed787fb6c8003') });
    assert.equal(cred.totalCredentials, 5);
    assert.equal(cred.credProtect, 1);
    // The COSE_Key is an ES256 P-256 point: node:crypto imports it only if it is on the curve.
    const key = cred.publicKey!;
    assert.deepEqual([key.get(1), key.get(3), key.get(-1)], [2, -7, 1]);
    const b64 = (k: number) => Buffer.from(key.get(k) as Uint8Array).toString('base64url');
    const jwk = { kty: 'EC', crv: 'P-256', x: b64(-2), y: b64(-3) };
    assert.equal(createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(toHex(encodeCredentialManagementResponse(cred)!), toHex(CM_CREDENTIAL_BEGIN));
  });
  it('deleteCredential and updateUserInformation answer the status byte only', () => {
    assert.equal(encodeCredentialManagementResponse({}), undefined);
    assert.deepEqual(decodeCredentialManagementResponse(Uint8Array.of(0)), {});
  });
});

// Captured from a YubiKey by python-fido2 (tests/test_ctap2.py: _INFO, _MC_RESP, _GA_RESP), BSD-2-Clause test data.
const INFO =
  hex(`a60182665532465f5632684649444f5f325f3002826375766d6b686d61632d7365637265740350f8a011f38c0a4d15800617111f9e
dc7d04a462726bf5627570f564706c6174f469636c69656e7450696ef4051904b0068101`);
const MC_RESP =
  hex(`a301667061636b65640258c40021f5fc0b85cd22e60623bcd7d1ca48948909249b4776eb515154e57b66ae12410000001cf8a0
11f38c0a4d15800617111f9edc7d0040fe3aac036d14c1e1c65518b698dd1da8f596bc33e11072813466c6bf3845691509b80fb76d59309b8d39e0a934
52688f6ca3a39a76f3fc52744fb73948b15783a5010203262001215820643566c206dd00227005fa5de69320616ca268043a38f08bde2e9dc45a5cafaf
225820171353b2932434703726aae579fa6542432861fe591e481ea22d63997e1a529003a363616c67266373696758483046022100cc1ef43edf07de8f
208c21619c78a565ddcf4150766ad58781193be8e0a742ed022100f1ed7c7243e45b7d8e5bda6b1abf10af7391789d1ef21b70bd69fed48dba4cb16378
3563815901973082019330820138a003020102020900859b726cb24b4c29300a06082a8648ce3d0403023047310b300906035504061302555331143012
060355040a0c0b59756269636f205465737431223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e301e170d313631
3230343131353530305a170d3236313230323131353530305a3047310b300906035504061302555331143012060355040a0c0b59756269636f20546573
7431223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e3059301306072a8648ce3d020106082a8648ce3d03010703
420004ad11eb0e8852e53ad5dfed86b41e6134a18ec4e1af8f221a3c7d6e636c80ea13c3d504ff2e76211bb44525b196c44cb4849979cf6f896ecd2bb8
60de1bf4376ba30d300b30090603551d1304023000300a06082a8648ce3d0403020349003046022100e9a39f1b03197525f7373e10ce77e78021731b94
d0c03f3fda1fd22db3d030e7022100c4faec3445a820cf43129cdb00aabefd9ae2d874f9c5d343cb2f113da23723f3`);
const GA_RESP =
  hex(`a301a26269645840fe3aac036d14c1e1c65518b698dd1da8f596bc33e11072813466c6bf3845691509b80fb76d59309b8d39e0a9
3452688f6ca3a39a76f3fc52744fb73948b1578364747970656a7075626c69632d6b65790258250021f5fc0b85cd22e60623bcd7d1ca48948909249b47
76eb515154e57b66ae12010000001d035846304402206765cbf6e871d3af7f01ae96f06b13c90f26f54b905c5166a2c791274fc2397102200b14389358
6cc799fba4da83b119eaea1bd80ac3ce88fcedb3efbd596a1f4f63`);

// Sent by python-fido2 0.9.1 (Debian python3-fido2; CredentialManagement over a mock device, pinUvAuthToken
// h'000102…1f'): update_user_info under PIN/UV auth protocol 2 to a credMgmt authenticator, delete_cred under
// protocol 1 to a credentialMgmtPreview one (command 0x41).
const RK_USER_ID = hex('e4e10631de000f4f126ec9682d433ff1022c6ee69610bf7335c9202706ba3909');
const PY_UPDATE_V2 =
  hex(`0aa4010702a202a26269645019f7780ca0bcb9a6d51ed787fb6c800364747970656a7075626c69632d6b657903a36269645820e4e106
31de000f4f126ec9682d433ff1022c6ee69610bf7335c9202706ba3909646e616d656a626f622062616e616e616b646973706c61794e616d6567
6262616e616e610302045820879d47f3b4d47565cb94b58830cab8b6581976d4d2917b81d8a78eb46fd1391f`);
const PY_DELETE_V1_PREVIEW =
  hex(`41a4010602a102a26269645019f7780ca0bcb9a6d51ed787fb6c800364747970656a7075626c69632d6b657903010450b01bc879faf6
cafa715825f0b91a1be9`);

// An authenticator's credentialManagement answers that libfido2's fuzzers replay (Yubico/libfido2
// fuzz/wiredata_fido2.h, BSD-2-Clause test data), the CBOR after the status byte of the CTAPHID messages:
// getCredsMetadata (WIREDATA_CTAP_CBOR_CREDMAN_META), enumerateRPsBegin (the first of _RPLIST) and
// enumerateCredentialsBegin (the first of _RKLIST).
const CM_METADATA = hex('a20100021819');
const CM_RP_BEGIN = hex(
  'a303a16269646a79756269636f2e636f6d' +
    '045820378209b72defcba91dcbf854edb4daa648828a2cbd180afc77a74434655a1c7d' +
    '0503',
);
const CM_CREDENTIAL_BEGIN =
  hex(`a506a36269645820e4e10631de000f4f126ec9682d433ff1022c6ee69610bf7335c9202706ba3909646e616d656a626f622062616e61
6e616b646973706c61794e616d65676262616e616e6107a26269645019f7780ca0bcb9a6d51ed787fb6c800364747970656a7075626c69632d6b
657908a5010203262001215820816cdd8c8f8cc843a7bb795109b1dfbec4a554169e5856b30b344fa56c05a221225820cdc20c99835a6173d8e0
74234664394cb0f46c0a3772aaa8ea58d3d4e051b22809050a01`);
