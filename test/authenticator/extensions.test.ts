/**
 * CTAP 2.1 §12 extensions (credProtect, credBlob, largeBlobKey, minPinLength, hmac-secret) and
 * CTAP 2.2's hmac-secret-mc and thirdPartyPayment, through dispatchCtap2 bytes, with both PIN/UV
 * auth protocols, resident and non-resident credentials, and a SQLite data dir reopened.
 * The hmac-secret outputs are checked against HMAC-SHA-256 and HKDF computed here with node:crypto
 * from the documented CredRandom derivation, apart from the code under test.
 */
import assert from 'node:assert/strict';
import { decode as cbor2Decode } from 'cbor2';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { SECRET_WRAP_KEY } from '../../src/authenticator/core.js';
import type { Env } from '../../src/authenticator/env.js';
import { updatePinState } from '../../src/authenticator/pinUvAuthToken.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import { PinUvAuthTokenPermission as Perm } from '../../src/ctap2/clientPin.js';
import { encodeSimpleCommand, pinUvAuthParamFor } from '../../src/ctap2/hostCodec.js';
import {
  decodeGetAssertionResponse,
  encodeGetAssertionRequest,
  type GetAssertionRequest,
} from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import {
  decodeHmacSecretOutput,
  extensionOutputs,
  hmacSecretInput,
  hmacSecretSession,
} from '../../src/ctap2/hostExtensions.js';
import {
  platformProtocol,
  type PinUvAuthProtocolVersion,
  type PlatformPinUvAuthProtocol,
} from '../../src/ctap2/pinUvAuthProtocol.js';
import { Status } from '../../src/ctap2/status.js';
import { concat, toHex } from '../../src/encoding/bytes.js';
import type { Encodable } from '../../src/encoding/cbor.js';
import { CoseAlg } from '../../src/encoding/cose.js';
import { generateCredentialKey, verifySignature } from '../../src/crypto/credentialKeys.js';
import { sealCredentialId } from '../../src/store/credentialId.js';
import { openDataDir } from '../../src/store/dataDir.js';
import { testEnv } from '../helpers/env.js';
import { managementDevice, type TestEnv } from './managementDevice.js';

const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const VERSIONS: PinUvAuthProtocolVersion[] = [1, 2];
const SALT1 = new Uint8Array(32).fill(0xa5);
const SALT2 = new Uint8Array(32).fill(0x96);
const PIN = '123456';

async function device(env: Env = testEnv()) {
  const {
    auth,
    call,
    status,
    keyAgreement,
    setPin,
    token: sessionFor,
  } = await managementDevice({ env: env as TestEnv });
  const mc = async (over: Partial<MakeCredentialRequest> = {}) => {
    const r = await call(encodeMakeCredentialRequest(mcParams(over)));
    assert.equal(r[0], Status.CTAP2_OK, `makeCredential status 0x${r[0]!.toString(16)}`);
    const made = decodeMakeCredentialResponse(r);
    const ad = parseAuthenticatorData(made.authData);
    return {
      ...made,
      id: ad.attestedCredentialData!.credentialId,
      ext: extensionOutputs(made.authData),
      flags: ad.flags,
    };
  };
  const ga = async (over: Partial<GetAssertionRequest> = {}) => {
    const r = await call(encodeGetAssertionRequest(gaParams(over)));
    assert.equal(r[0], Status.CTAP2_OK, `getAssertion status 0x${r[0]!.toString(16)}`);
    const got = decodeGetAssertionResponse(r);
    return { ...got, ext: extensionOutputs(got.authData), flags: parseAuthenticatorData(got.authData).flags };
  };
  /** hmac-secret input for these salts under a fresh key agreement, and its output decoder. */
  const hmac = async (p: PlatformPinUvAuthProtocol, salt1: Uint8Array, salt2?: Uint8Array) => {
    const s = hmacSecretSession(p, await keyAgreement(p));
    return {
      input: hmacSecretInput(p, s.keyAgreement, s.sharedSecret, salt1, salt2),
      open: (v: Encodable | undefined) => decodeHmacSecretOutput(p, s.sharedSecret, v as Uint8Array),
    };
  };
  /** Sets the PIN and returns a pinUvAuthToken with mc and ga for example.com. */
  const pinToken = async (p: PlatformPinUvAuthProtocol) => {
    await setPin(p.version, PIN);
    return token(p);
  };
  const token = async (p: PlatformPinUvAuthProtocol) =>
    (await sessionFor(p.version, Perm.mc | Perm.ga, 'example.com', PIN)).pinUvAuthToken;
  return { env, auth, call, status, keyAgreement, mc, ga, hmac, pinToken, token };
}

const mcParams = (over: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
  clientDataHash: sha('client data'),
  rp: { id: 'example.com', name: 'Example' },
  user: { id: new Uint8Array([1, 2, 3, 4]), name: 'alice', displayName: 'Alice' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...over,
});
const gaParams = (over: Partial<GetAssertionRequest> = {}): GetAssertionRequest => ({
  rpId: 'example.com',
  clientDataHash: sha('assertion'),
  ...over,
});
const ext = (entries: Array<[string, Encodable]>) => new Map<string, Encodable>(entries);
const allow = (id: Uint8Array) => ({ allowList: [{ type: 'public-key', id }] });
const uvParams = (p: PlatformPinUvAuthProtocol, token: Uint8Array, cdh: Uint8Array) => ({
  pinUvAuthParam: pinUvAuthParamFor(p, token, cdh),
  pinUvAuthProtocol: p.version,
});

/** The documented derivation (extensions/hmacSecret.ts), recomputed with node:crypto. */
function expectedOutput(wrapKey: Uint8Array, credentialId: Uint8Array, uv: boolean, salt: Uint8Array): Uint8Array {
  const k = new Uint8Array(hkdfSync('sha256', wrapKey, new Uint8Array(0), 'softkey hmac-secret CredRandom v1', 32));
  const credRandom = createHmac('sha256', k)
    .update(uv ? 'CredRandomWithUV\0' : 'CredRandomWithoutUV\0')
    .update(credentialId)
    .digest();
  return new Uint8Array(createHmac('sha256', credRandom).update(salt).digest());
}

describe('getInfo', () => {
  it('lists exactly the implemented extensions and maxCredBlobLength', async () => {
    const d = await device();
    const info = decodeGetInfoResponse(await d.call(encodeSimpleCommand(Command.authenticatorGetInfo)));
    assert.deepEqual([...info.extensions!].sort(), [
      'credBlob',
      'credProtect',
      'hmac-secret',
      'hmac-secret-mc',
      'largeBlobKey',
      'minPinLength',
      'pinComplexityPolicy',
      'thirdPartyPayment',
    ]);
    assert.equal(info.maxCredBlobLength, 32);
  });
});

describe('hmac-secret (§12.5)', () => {
  for (const v of VERSIONS) {
    for (const rk of [false, true]) {
      it(`protocol ${v}, ${rk ? 'resident' : 'non-resident'}: one and two salts, HMACs of the without-UV CredRandom`, async () => {
        const d = await device();
        const p = platformProtocol(v);
        const made = await d.mc({ extensions: ext([['hmac-secret', true]]), options: { rk } });
        assert.equal(made.ext?.get('hmac-secret'), true);
        assert.ok(made.flags & Flag.ED);

        const one = await d.hmac(p, SALT1);
        const a1 = await d.ga({ ...allow(made.id), extensions: ext([['hmac-secret', one.input]]) });
        assert.equal(a1.flags & Flag.UV, 0);
        const out1 = one.open(a1.ext?.get('hmac-secret'));
        assert.equal(out1.output2, undefined);
        const wrapKey = d.env.vault.get(SECRET_WRAP_KEY)!;
        assert.equal(toHex(out1.output1), toHex(expectedOutput(wrapKey, made.id, false, SALT1)));

        const two = await d.hmac(p, SALT1, SALT2);
        const a2 = await d.ga({ ...(rk ? {} : allow(made.id)), extensions: ext([['hmac-secret', two.input]]) });
        const out2 = two.open(a2.ext?.get('hmac-secret'));
        assert.deepEqual(out2.output1, out1.output1);
        assert.equal(toHex(out2.output2!), toHex(expectedOutput(wrapKey, made.id, false, SALT2)));
      });
    }

    it(`protocol ${v}: with a pinUvAuthToken the with-UV secret answers, different from without UV`, async () => {
      const d = await device();
      const p = platformProtocol(v);
      const made = await d.mc({ extensions: ext([['hmac-secret', true]]) });
      const noUv = await d.hmac(p, SALT1);
      const plain = noUv.open(
        (await d.ga({ ...allow(made.id), extensions: ext([['hmac-secret', noUv.input]]) })).ext?.get('hmac-secret'),
      );
      const token = await d.pinToken(p);
      const withUv = await d.hmac(p, SALT1);
      const cdh = sha('uv assertion');
      const a = await d.ga({
        ...allow(made.id),
        clientDataHash: cdh,
        extensions: ext([['hmac-secret', withUv.input]]),
        ...uvParams(p, token, cdh),
      });
      assert.ok(a.flags & Flag.UV);
      const verified = withUv.open(a.ext?.get('hmac-secret'));
      assert.notDeepEqual(verified.output1, plain.output1);
      assert.equal(
        toHex(verified.output1),
        toHex(expectedOutput(d.env.vault.get(SECRET_WRAP_KEY)!, made.id, true, SALT1)),
      );
    });
  }

  it('built-in user verification (the uv option) also selects the with-UV secret', async () => {
    const env = testEnv();
    env.uv = { available: true, verify: async () => 'verified' as const };
    const d = await device(env);
    const made = await d.mc({ extensions: ext([['hmac-secret', true]]) });
    const p = platformProtocol(2);
    const h = await d.hmac(p, SALT1);
    const a = await d.ga({ ...allow(made.id), options: { uv: true }, extensions: ext([['hmac-secret', h.input]]) });
    assert.ok(a.flags & Flag.UV);
    assert.equal(
      toHex(h.open(a.ext?.get('hmac-secret')).output1),
      toHex(expectedOutput(env.vault.get(SECRET_WRAP_KEY)!, made.id, true, SALT1)),
    );
  });

  it('both protocols give the same outputs; different credentials different ones', async () => {
    const d = await device();
    const a = await d.mc({ extensions: ext([['hmac-secret', true]]) });
    const b = await d.mc({ extensions: ext([['hmac-secret', true]]), user: { id: new Uint8Array([9]) } });
    const outputs = [];
    for (const [id, v] of [
      [a.id, 1],
      [a.id, 2],
      [b.id, 2],
    ] as const) {
      const p = platformProtocol(v);
      const h = await d.hmac(p, SALT1);
      outputs.push(
        toHex(
          h.open((await d.ga({ ...allow(id), extensions: ext([['hmac-secret', h.input]]) })).ext?.get('hmac-secret'))
            .output1,
        ),
      );
    }
    assert.equal(outputs[0], outputs[1]);
    assert.notEqual(outputs[1], outputs[2]);
  });

  it('a credential made without hmac-secret answers no output; unknown extensions are ignored', async () => {
    const d = await device();
    const made = await d.mc({ extensions: ext([['tetris', true]]) });
    assert.equal(made.ext, undefined);
    const h = await d.hmac(platformProtocol(2), SALT1);
    const a = await d.ga({
      ...allow(made.id),
      extensions: ext([
        ['hmac-secret', h.input],
        ['tetris', 1],
      ]),
    });
    assert.equal(a.ext, undefined);
    assert.equal(a.flags & Flag.ED, 0);
  });

  it('errors: saltAuth, salt length, protocol, missing members, wrong types, up=false', async () => {
    const d = await device();
    const made = await d.mc({ extensions: ext([['hmac-secret', true]]) });
    const p = platformProtocol(2);
    const s = hmacSecretSession(p, await d.keyAgreement(p));
    const good = hmacSecretInput(p, s.keyAgreement, s.sharedSecret, SALT1);
    const with_ = (changes: Array<[number, Encodable]>, drop?: number) => {
      const m = new Map(good);
      for (const [k, val] of changes) m.set(k, val);
      if (drop !== undefined) m.delete(drop);
      return m;
    };
    const badAuth = (good.get(3) as Uint8Array).slice();
    badAuth[0]! ^= 1;
    const shortEnc = p.encrypt(s.sharedSecret, new Uint8Array(48));
    const cases: Array<[string, Encodable, number, Record<string, boolean>?]> = [
      ['bad saltAuth', with_([[3, badAuth]]), Status.CTAP2_ERR_PIN_AUTH_INVALID],
      [
        '48-byte salts',
        with_([
          [2, shortEnc],
          [3, p.authenticate(s.sharedSecret, shortEnc)],
        ]),
        Status.CTAP1_ERR_INVALID_PARAMETER,
      ],
      ['protocol 3', with_([[4, 3]]), Status.CTAP1_ERR_INVALID_PARAMETER],
      ['protocol 1 for a protocol 2 input', with_([[4, 1]]), Status.CTAP2_ERR_PIN_AUTH_INVALID],
      ['no saltAuth', with_([], 3), Status.CTAP2_ERR_MISSING_PARAMETER],
      ['no keyAgreement', with_([], 1), Status.CTAP2_ERR_MISSING_PARAMETER],
      ['saltEnc text', with_([[2, 'x']]), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['input not a map', true, Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['up=false', good, Status.CTAP2_ERR_UNSUPPORTED_OPTION, { up: false }],
    ];
    for (const [name, input, expected, options] of cases) {
      const got = await d.status(
        encodeGetAssertionRequest(
          gaParams({ ...allow(made.id), extensions: ext([['hmac-secret', input]]), ...(options && { options }) }),
        ),
      );
      assert.equal(got, expected, name);
    }
  });

  it('getNextAssertion answers the same salts for each discoverable credential', async () => {
    const d = await device();
    const ids = [];
    for (const u of [1, 2, 3])
      ids.push(
        (
          await d.mc({
            extensions: ext([['hmac-secret', true]]),
            options: { rk: true },
            user: { id: new Uint8Array([u]) },
          })
        ).id,
      );
    const p = platformProtocol(2);
    const h = await d.hmac(p, SALT1, SALT2);
    const first = await d.ga({ extensions: ext([['hmac-secret', h.input]]) });
    assert.equal(first.numberOfCredentials, 3);
    const answers = [first];
    for (let i = 0; i < 2; i++) {
      const r = decodeGetAssertionResponse(await d.call(encodeSimpleCommand(Command.authenticatorGetNextAssertion)));
      answers.push({ ...r, ext: extensionOutputs(r.authData), flags: 0 });
    }
    const wrapKey = d.env.vault.get(SECRET_WRAP_KEY)!;
    for (const a of answers) {
      const out = h.open(a.ext?.get('hmac-secret'));
      assert.equal(toHex(out.output2!), toHex(expectedOutput(wrapKey, a.credential.id, false, SALT2)));
    }
    assert.deepEqual(new Set(answers.map((a) => toHex(a.credential.id))), new Set(ids.map(toHex)));
  });
});

describe('hmac-secret-mc (CTAP 2.2 §12.8)', () => {
  for (const v of VERSIONS) {
    it(`protocol ${v}: the makeCredential output equals a later getAssertion's, with and without UV`, async () => {
      const d = await device();
      const p = platformProtocol(v);
      const h = await d.hmac(p, SALT1, SALT2);
      const made = await d.mc({
        extensions: ext([
          ['hmac-secret', true],
          ['hmac-secret-mc', h.input],
        ]),
      });
      assert.equal(made.ext?.get('hmac-secret'), true);
      const atMc = h.open(made.ext?.get('hmac-secret-mc'));
      const h2 = await d.hmac(p, SALT1, SALT2);
      const atGa = h2.open(
        (await d.ga({ ...allow(made.id), extensions: ext([['hmac-secret', h2.input]]) })).ext?.get('hmac-secret'),
      );
      assert.deepEqual(atMc, atGa);

      const token = await d.pinToken(p);
      const h3 = await d.hmac(p, SALT1);
      const cdh = sha('client data');
      const madeUv = await d.mc({
        clientDataHash: cdh,
        user: { id: new Uint8Array([7]) },
        extensions: ext([
          ['hmac-secret', true],
          ['hmac-secret-mc', h3.input],
        ]),
        ...uvParams(p, token, cdh),
      });
      assert.ok(madeUv.flags & Flag.UV);
      const mcUv = h3.open(madeUv.ext?.get('hmac-secret-mc'));
      assert.equal(
        toHex(mcUv.output1),
        toHex(expectedOutput(d.env.vault.get(SECRET_WRAP_KEY)!, madeUv.id, true, SALT1)),
      );
    });
  }

  it('without "hmac-secret": true is CTAP2_ERR_MISSING_PARAMETER; a bad saltAuth makes nothing', async () => {
    const d = await device();
    const p = platformProtocol(2);
    const h = await d.hmac(p, SALT1);
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ extensions: ext([['hmac-secret-mc', h.input]]) }))),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
    const bad = new Map(h.input);
    bad.set(3, new Uint8Array(32));
    const got = await d.status(
      encodeMakeCredentialRequest(
        mcParams({
          options: { rk: true },
          extensions: ext([
            ['hmac-secret', true],
            ['hmac-secret-mc', bad],
          ]),
        }),
      ),
    );
    assert.equal(got, Status.CTAP2_ERR_PIN_AUTH_INVALID);
    assert.equal(d.env.store.countResident(), 0);
  });
});

describe('credBlob (§12.2)', () => {
  for (const rk of [false, true]) {
    it(`${rk ? 'resident' : 'non-resident'}: stored up to 32 bytes and returned on "credBlob": true`, async () => {
      const d = await device();
      const blob = new Uint8Array(32).map((_, i) => i);
      const made = await d.mc({ options: { rk }, extensions: ext([['credBlob', blob]]) });
      assert.equal(made.ext?.get('credBlob'), true);
      assert.deepEqual(
        (await d.ga({ ...allow(made.id), extensions: ext([['credBlob', true]]) })).ext?.get('credBlob'),
        blob,
      );
      assert.equal((await d.ga({ ...allow(made.id) })).ext, undefined);

      const tooLong = await d.mc({
        options: { rk },
        user: { id: new Uint8Array([5]) },
        extensions: ext([['credBlob', new Uint8Array(33)]]),
      });
      assert.equal(tooLong.ext?.get('credBlob'), false);
      assert.deepEqual(
        (await d.ga({ ...allow(tooLong.id), extensions: ext([['credBlob', true]]) })).ext?.get('credBlob'),
        new Uint8Array(0),
      );
    });
  }

  it('a credBlob that is not a byte string is CTAP2_ERR_CBOR_UNEXPECTED_TYPE; credProtect 0 or 4 is INVALID_PARAMETER', async () => {
    const d = await device();
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ extensions: ext([['credBlob', 'text']]) }))),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
    );
    // §12.1 defines levels 1–3; another unsigned value is the right type with an invalid value (§8.1).
    for (const level of [0, 4, 255]) {
      let asked = 0;
      const p = d.env.presence;
      const counting = { ...p, request: (...a: Parameters<typeof p.request>) => (asked++, p.request(...a)) };
      d.env.presence = counting;
      assert.equal(
        await d.status(encodeMakeCredentialRequest(mcParams({ extensions: ext([['credProtect', level]]) }))),
        Status.CTAP1_ERR_INVALID_PARAMETER,
        `credProtect ${level}`,
      );
      d.env.presence = p;
      assert.equal(asked, 0, 'refused before user presence');
    }
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ extensions: ext([['credProtect', 'high']]) }))),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
    );
    assert.equal(
      await d.status(encodeGetAssertionRequest(gaParams({ extensions: ext([['credBlob', 1]]) }))),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
    );
  });
});

/**
 * A host encoder written from CTAP 2.1's tables, apart from softkey's host codec: RFC 8949 heads by
 * hand. §6.1 makeCredential keys 0x01 clientDataHash, 0x02 rp, 0x03 user, 0x04 pubKeyCredParams,
 * 0x06 extensions, 0x07 options; §6.2 getAssertion keys 0x01 rpId, 0x02 clientDataHash,
 * 0x04 extensions; §12.2 credBlob: makeCredential input "credBlob": bytes, getAssertion input
 * "credBlob": true, getAssertion output "credBlob": bytes.
 */
const specCbor = {
  head: (major: number, n: number): number[] =>
    n < 24 ? [(major << 5) | n] : n < 256 ? [(major << 5) | 24, n] : [(major << 5) | 25, n >> 8, n & 0xff],
  bytes: (b: Uint8Array): number[] => [...specCbor.head(2, b.length), ...b],
  text: (t: string): number[] => [...specCbor.head(3, Buffer.byteLength(t)), ...Buffer.from(t, 'utf8')],
  map: (n: number): number[] => specCbor.head(5, n),
  TRUE: 0xf5,
  ES256: 0x26, // -7: major type 1, argument 6
};

describe('credBlob (§12.2) against a host encoder written from the spec table', () => {
  const C = specCbor;
  const makeCredential = (cdh: Uint8Array, blob: Uint8Array) =>
    new Uint8Array([
      0x01,
      ...C.map(6),
      0x01,
      ...C.bytes(cdh),
      0x02,
      ...C.map(1),
      ...C.text('id'),
      ...C.text('example.com'),
      0x03,
      ...C.map(1),
      ...C.text('id'),
      ...C.bytes(new Uint8Array([7, 7, 7])),
      0x04,
      0x81,
      ...C.map(2),
      ...C.text('alg'),
      C.ES256,
      ...C.text('type'),
      ...C.text('public-key'),
      0x06,
      ...C.map(1),
      ...C.text('credBlob'),
      ...C.bytes(blob),
      0x07,
      ...C.map(1),
      ...C.text('rk'),
      C.TRUE,
    ]);
  const getAssertion = (cdh: Uint8Array, extensionName: string) =>
    new Uint8Array([
      0x02,
      ...C.map(3),
      0x01,
      ...C.text('example.com'),
      0x02,
      ...C.bytes(cdh),
      0x04,
      ...C.map(1),
      ...C.text(extensionName),
      C.TRUE,
    ]);
  /** authenticatorData of a getAssertion response, decoded with cbor2 (not softkey's codec). */
  const authDataOf = (response: Uint8Array): Uint8Array => {
    assert.equal(response[0], Status.CTAP2_OK, `status 0x${response[0]!.toString(16)}`);
    return (cbor2Decode(response.subarray(1)) as Map<number, unknown>).get(0x02) as Uint8Array;
  };

  it('"credBlob": true returns the stored blob; the wrong key "getCredBlob" is an unknown extension, ignored', async () => {
    const d = await device();
    const blob = new Uint8Array(24).map((_, i) => 0xb0 + i);
    const made = await d.call(makeCredential(sha('mc'), blob));
    assert.equal(made[0], Status.CTAP2_OK);
    const authData = authDataOf(await d.call(getAssertion(sha('ga'), 'credBlob')));
    // §6.1 authenticatorData: rpIdHash 32, flags 1, signCount 4, then (ED, no AT) the extensions map.
    assert.equal(authData[32]! & 0x80, 0x80, 'ED flag');
    assert.equal(authData[32]! & 0x40, 0, 'no attested credential data in an assertion');
    const outputs = cbor2Decode(authData.subarray(37)) as Record<string, unknown>;
    assert.deepEqual(outputs, { credBlob: blob });
    const ignored = authDataOf(await d.call(getAssertion(sha('ga'), 'getCredBlob')));
    assert.equal(ignored[32]! & 0x80, 0, 'no extension outputs for an unknown input');
    assert.equal(ignored.length, 37);
  });
});

describe('largeBlobKey (§12.3)', () => {
  it('a discoverable credential gets a 32-byte key, returned again by getAssertion (0x07)', async () => {
    const d = await device();
    const made = await d.mc({ options: { rk: true }, extensions: ext([['largeBlobKey', true]]) });
    assert.equal(made.largeBlobKey?.length, 32);
    assert.equal(made.ext, undefined, 'no authenticator-data output');
    assert.deepEqual((await d.ga({ extensions: ext([['largeBlobKey', true]]) })).largeBlobKey, made.largeBlobKey);
    assert.equal((await d.ga({})).largeBlobKey, undefined);
    const other = await d.mc({
      options: { rk: true },
      user: { id: new Uint8Array([8]) },
      extensions: ext([['largeBlobKey', true]]),
    });
    assert.notDeepEqual(other.largeBlobKey, made.largeBlobKey);
  });

  it('without rk, or false, is CTAP2_ERR_INVALID_OPTION; a credential without a key returns none', async () => {
    const d = await device();
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ extensions: ext([['largeBlobKey', true]]) }))),
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    assert.equal(
      await d.status(
        encodeMakeCredentialRequest(mcParams({ options: { rk: true }, extensions: ext([['largeBlobKey', false]]) })),
      ),
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    const plain = await d.mc({});
    assert.equal(
      (await d.ga({ ...allow(plain.id), extensions: ext([['largeBlobKey', true]]) })).largeBlobKey,
      undefined,
    );
  });
});

describe('minPinLength (§12.4)', () => {
  it('answers minPINLength only for an RP ID in minPinLengthRPIDs', async () => {
    const d = await device();
    assert.equal((await d.mc({ extensions: ext([['minPinLength', true]]) })).ext, undefined);
    updatePinState(d.env.store, (s) => {
      s.minPinLengthRPIDs = ['example.com'];
      s.minPINLength = 6;
    });
    assert.equal((await d.mc({ extensions: ext([['minPinLength', true]]) })).ext?.get('minPinLength'), 6);
    assert.equal(
      (await d.mc({ rp: { id: 'other.example' }, extensions: ext([['minPinLength', true]]) })).ext,
      undefined,
    );
  });
});

describe('thirdPartyPayment (CTAP 2.2 §12.9)', () => {
  it('marks the credential and reports it in getAssertion', async () => {
    const d = await device();
    const pay = await d.mc({ extensions: ext([['thirdPartyPayment', true]]) });
    assert.equal(pay.ext?.get('thirdPartyPayment'), true);
    const plain = await d.mc({ user: { id: new Uint8Array([6]) } });
    assert.equal(
      (await d.ga({ ...allow(pay.id), extensions: ext([['thirdPartyPayment', true]]) })).ext?.get('thirdPartyPayment'),
      true,
    );
    assert.equal(
      (await d.ga({ ...allow(plain.id), extensions: ext([['thirdPartyPayment', true]]) })).ext?.get(
        'thirdPartyPayment',
      ),
      false,
    );
    assert.equal((await d.ga({ ...allow(pay.id) })).ext, undefined);
  });
});

describe('credential IDs and persistence', () => {
  it('a version 0x02 (129-byte ES256) credential ID made before version 0x03 still signs, and verifies', async () => {
    const d = await device();
    await d.mc({}); // creates the wrapping key
    const wrapKey = d.env.vault.get(SECRET_WRAP_KEY)!;
    const key = generateCredentialKey(CoseAlg.ES256);
    const payload = {
      discoverable: false,
      u2f: false,
      alg: CoseAlg.ES256,
      credProtect: 1 as const,
      secret: key.secret,
    };
    const v2 = sealCredentialId(wrapKey, sha('example.com'), payload, new Uint8Array(12).fill(5), 2);
    assert.deepEqual([v2[0], v2.length], [2, 129]);
    const a = await d.ga(allow(v2));
    assert.deepEqual(a.credential.id, v2);
    assert.ok(verifySignature(key.publicKey, concat(a.authData, sha('assertion')), a.signature));
    const made = await d.mc({});
    assert.deepEqual([made.id[0], made.id.length], [4, 33]);
  });
  it('a version 0x01 credential ID still opens; version 0x01 cannot carry the new flags', async () => {
    const d = await device();
    await d.mc({}); // creates the wrapping key
    const wrapKey = d.env.vault.get(SECRET_WRAP_KEY)!;
    const key = generateCredentialKey(CoseAlg.ES256);
    const payload = {
      discoverable: false,
      u2f: false,
      alg: CoseAlg.ES256,
      credProtect: 1 as const,
      credBlob: new Uint8Array([1, 2]),
      secret: key.secret,
    };
    const v1 = sealCredentialId(wrapKey, sha('example.com'), payload, new Uint8Array(12), 1);
    assert.equal(v1[0], 1);
    const a = await d.ga({
      ...allow(v1),
      extensions: ext([
        ['credBlob', true],
        ['thirdPartyPayment', true],
      ]),
    });
    assert.deepEqual(a.credential.id, v1);
    assert.deepEqual(a.ext?.get('credBlob'), new Uint8Array([1, 2]));
    assert.equal(a.ext?.get('thirdPartyPayment'), false);
    assert.throws(
      () => sealCredentialId(wrapKey, sha('example.com'), { ...payload, hmacSecret: true }, new Uint8Array(12), 1),
      RangeError,
    );
    assert.equal((await d.mc({})).id[0], 4);
  });

  it('every extension survives closing and reopening a SQLite data dir', async (t: TestContext) => {
    const dir = mkdtempSync(join(tmpdir(), 'softkey-ext-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const open = async () => {
      const data = openDataDir(dir);
      return { data, d: await device({ ...testEnv(), store: data.store, vault: data.vault }) };
    };
    const p = platformProtocol(2);
    const blob = new Uint8Array([7, 7, 7]);
    const first = await open();
    const all = ext([
      ['credBlob', blob],
      ['hmac-secret', true],
      ['largeBlobKey', true],
      ['thirdPartyPayment', true],
      ['credProtect', 2],
    ]);
    const resident = await first.d.mc({ options: { rk: true }, extensions: all });
    const nonResident = await first.d.mc({
      user: { id: new Uint8Array([2]) },
      extensions: ext([
        ['credBlob', blob],
        ['hmac-secret', true],
        ['thirdPartyPayment', true],
      ]),
    });
    const before = [];
    for (const id of [resident.id, nonResident.id]) {
      const h = await first.d.hmac(p, SALT1);
      before.push(
        h.open(
          (await first.d.ga({ ...allow(id), extensions: ext([['hmac-secret', h.input]]) })).ext?.get('hmac-secret'),
        ).output1,
      );
    }
    first.data.close();

    const second = await open();
    for (const [i, id] of [resident.id, nonResident.id].entries()) {
      const h = await second.d.hmac(p, SALT1);
      const inputs = ext([
        ['hmac-secret', h.input],
        ['credBlob', true],
        ['thirdPartyPayment', true],
        ...(i === 0 ? [['largeBlobKey', true] as [string, Encodable]] : []),
      ]);
      const a = await second.d.ga({ ...allow(id), extensions: inputs });
      assert.deepEqual(h.open(a.ext?.get('hmac-secret')).output1, before[i]);
      assert.deepEqual(a.ext?.get('credBlob'), blob);
      assert.equal(a.ext?.get('thirdPartyPayment'), true);
      if (i === 0) assert.deepEqual(a.largeBlobKey, resident.largeBlobKey);
    }
    const record = second.data.store.getResident(resident.id)!;
    assert.deepEqual(record.credBlob, blob);
    assert.equal(record.hmacSecret, true);
    assert.equal(record.thirdPartyPayment, true);
    assert.equal(record.credProtect, 2);
    assert.deepEqual(concat(record.largeBlobKey!), resident.largeBlobKey);
    second.data.close();
  });
});
