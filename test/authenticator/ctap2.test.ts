/**
 * The CTAP2 core through its wire format: every command's success and error paths, in-process,
 * with a clock we advance and scripted user presence.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { concat, toHex } from '../../src/encoding/bytes.js';
import { encode } from '../../src/encoding/cbor.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { extensionsOf, Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
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
import { Status } from '../../src/ctap2/status.js';
import { testContext, testEnv } from '../helpers/env.js';

const hash = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function device(config?: Partial<AuthenticatorConfig>) {
  const env = testEnv();
  const auth = await createAuthenticator(env, defaultConfig(config));
  const call = async (request: Uint8Array) => dispatchCtap2(auth, request, testContext());
  return { env, auth, call };
}

const mcParams = (over: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
  clientDataHash: hash('client data'),
  rp: { id: 'example.com', name: 'Example' },
  user: { id: new Uint8Array([1, 2, 3, 4]), name: 'alice', displayName: 'Alice' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...over,
});

const gaParams = (over: Partial<GetAssertionRequest> = {}): GetAssertionRequest => ({
  rpId: 'example.com',
  clientDataHash: hash('assertion client data'),
  ...over,
});

describe('authenticatorGetInfo', () => {
  it('reports versions, AAGUID, options, algorithms and limits', async () => {
    const { call } = await device();
    const info = decodeGetInfoResponse(await call(encodeSimpleCommand(Command.authenticatorGetInfo)));
    assert.deepEqual(info.versions, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    assert.equal(info.aaguid.length, 16);
    assert.deepEqual(info.options, {
      rk: true,
      up: true,
      plat: false,
      clientPin: false,
      pinUvAuthToken: true,
      makeCredUvNotRqd: true,
      credMgmt: true,
      credentialMgmtPreview: true,
      largeBlobs: true,
      authnrCfg: true,
      setMinPINLength: true,
      ep: false,
      alwaysUv: false,
      perCredMgmtRO: true,
    });
    assert.deepEqual(info.pinUvAuthProtocols, [2, 1]);
    assert.deepEqual(
      info.algorithms?.map((a) => a.alg),
      [-7, -8, -257, -35, -36],
    );
    assert.equal(info.maxMsgSize, 7609);
    assert.ok((info.maxCredentialCountInList ?? 0) > 0);
    assert.deepEqual(info.transports, ['usb']);
  });
});

describe('authenticatorMakeCredential', () => {
  for (const alg of [-7, -8, -257, -35, -36]) {
    it(`creates an ${alg} credential with packed x5c attestation that verifies`, async () => {
      const { call, env } = await device();
      const params = mcParams({
        pubKeyCredParams: [
          { type: 'public-key', alg: -999 },
          { type: 'public-key', alg },
        ],
      });
      const r = decodeMakeCredentialResponse(await call(encodeMakeCredentialRequest(params)));
      assert.equal(r.fmt, 'packed');
      const ad = parseAuthenticatorData(r.authData);
      assert.equal(toHex(ad.rpIdHash), toHex(hash('example.com')));
      assert.equal(ad.flags & (Flag.UP | Flag.AT), Flag.UP | Flag.AT);
      assert.equal(ad.flags & Flag.UV, 0);
      assert.equal(ad.signCount, 0);
      const acd = ad.attestedCredentialData!;
      const pub = decodeCoseKey(acd.credentialPublicKey);
      assert.equal(pub.alg, alg);
      // Attestation: ES256 signature by the certificate's key over authData ‖ clientDataHash.
      assert.equal((r.attStmt as ReadonlyMap<string, unknown>).get('alg'), -7);
      const [der] = (r.attStmt as ReadonlyMap<string, unknown>).get('x5c') as Uint8Array[];
      const cert = new X509Certificate(der!);
      assert.match(cert.subject, /OU=Authenticator Attestation/);
      assert.equal(cert.ca, false);
      const { createVerify } = await import('node:crypto');
      const v = createVerify('sha256').update(concat(r.authData, params.clientDataHash));
      assert.ok(v.verify(cert.publicKey, (r.attStmt as ReadonlyMap<string, unknown>).get('sig') as Uint8Array));
      assert.equal(env.presence.requests.length, 1);
      assert.match(env.presence.requests[0]!.message, /Example \(example\.com\) as Alice/);
    });
  }

  it('uses self attestation and none when configured', async () => {
    const self = await device({ attestation: 'self' });
    const params = mcParams({ pubKeyCredParams: [{ type: 'public-key', alg: -8 }] });
    const r = decodeMakeCredentialResponse(await self.call(encodeMakeCredentialRequest(params)));
    assert.equal(r.fmt, 'packed');
    assert.equal((r.attStmt as ReadonlyMap<string, unknown>).get('alg'), -8);
    assert.equal((r.attStmt as ReadonlyMap<string, unknown>).has('x5c'), false);
    const pub = decodeCoseKey(parseAuthenticatorData(r.authData).attestedCredentialData!.credentialPublicKey);
    assert.ok(
      verifySignature(
        pub,
        concat(r.authData, params.clientDataHash),
        (r.attStmt as ReadonlyMap<string, unknown>).get('sig') as Uint8Array,
      ),
    );

    const none = await device({ attestation: 'none' });
    const n = decodeMakeCredentialResponse(await none.call(encodeMakeCredentialRequest(mcParams())));
    assert.equal(n.fmt, 'none');
    assert.equal((n.attStmt as ReadonlyMap<string, unknown>).size, 0);
    assert.equal(toHex(parseAuthenticatorData(n.authData).attestedCredentialData!.aaguid), '0'.repeat(32));
  });

  it('rejects unsupported algorithms, up=false and uv=true with the spec errors', async () => {
    const { call } = await device();
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ pubKeyCredParams: [{ type: 'public-key', alg: -47 }] }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM,
    );
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ pubKeyCredParams: [{ type: 'other', alg: -7 }] }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM,
    );
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ options: { up: false } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ options: { uv: true } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    const ctap20 = await device({ ctap20: true });
    assert.equal(
      (await ctap20.call(encodeMakeCredentialRequest(mcParams({ options: { uv: true } }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_OPTION,
    );
  });

  it('answers malformed requests with precise decoder errors', async () => {
    const { call } = await device();
    const mc = (m: Map<number, unknown>) =>
      concat(new Uint8Array([Command.authenticatorMakeCredential]), encode(m as never));
    const full = () =>
      new Map<number, unknown>([
        [1, hash('x')],
        [2, { id: 'example.com' }],
        [3, { id: new Uint8Array([1]) }],
        [4, [{ alg: -7, type: 'public-key' }]],
      ]);
    assert.equal((await call(mc(full())))[0], Status.CTAP2_OK);
    for (const key of [1, 2, 3, 4]) {
      const m = full();
      m.delete(key);
      assert.equal((await call(mc(m)))[0], Status.CTAP2_ERR_MISSING_PARAMETER, `missing ${key}`);
    }
    const wrongType = full();
    wrongType.set(1, 'not bytes');
    assert.equal((await call(mc(wrongType)))[0], Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    const badOptions = full();
    badOptions.set(7, { rk: 1 });
    assert.equal((await call(mc(badOptions)))[0], Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    // rp.icon / user.icon: not kept, but a present one must be a text string (CTAP 2.0 §5.1 entities).
    for (const [key, entity] of [
      [2, { id: 'example.com' }],
      [3, { id: new Uint8Array([1]) }],
    ] as const) {
      const icon = full();
      icon.set(key, { ...entity, icon: 'https://example.com/icon.png' });
      assert.equal((await call(mc(icon)))[0], Status.CTAP2_OK, `text icon in ${key}`);
      for (const bad of [7, new Uint8Array([1]), { url: 'x' }]) {
        icon.set(key, { ...entity, icon: bad });
        assert.equal((await call(mc(icon)))[0], Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `icon ${String(bad)} in ${key}`);
      }
    }
    const longUser = full();
    longUser.set(3, { id: new Uint8Array(65) });
    assert.equal((await call(mc(longUser)))[0], Status.CTAP1_ERR_INVALID_LENGTH);
    assert.equal((await call(new Uint8Array([1, 0xa1, 0x01])))[0], Status.CTAP2_ERR_INVALID_CBOR);
    assert.equal(
      (await call(new Uint8Array([1, 0xa2, 0x02, 0x00, 0x01, 0x00])))[0],
      Status.CTAP2_ERR_INVALID_CBOR,
      'unsorted keys',
    );
    assert.equal((await call(new Uint8Array([1, 0x80])))[0], Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    assert.equal((await call(new Uint8Array([0x55])))[0], Status.CTAP1_ERR_INVALID_COMMAND);
    assert.equal((await call(new Uint8Array([])))[0], Status.CTAP1_ERR_INVALID_LENGTH);
  });

  it('refuses an excluded credential after user presence', async () => {
    const { call, env } = await device();
    const made = decodeMakeCredentialResponse(await call(encodeMakeCredentialRequest(mcParams())));
    const id = parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId;
    const before = env.presence.requests.length;
    const r = await call(encodeMakeCredentialRequest(mcParams({ excludeList: [{ type: 'public-key', id }] })));
    assert.equal(r[0], Status.CTAP2_ERR_CREDENTIAL_EXCLUDED);
    assert.equal(env.presence.requests.length, before + 1);
    // The same credential ID does not exclude on another RP.
    const other = await call(
      encodeMakeCredentialRequest(mcParams({ rp: { id: 'other.example' }, excludeList: [{ type: 'public-key', id }] })),
    );
    assert.equal(other[0], Status.CTAP2_OK);
  });

  it('maps denied, timed-out and cancelled presence to the spec errors', async () => {
    const { auth, env } = await device();
    env.presence.answer = 'denied';
    assert.equal(
      (await dispatchCtap2(auth, encodeMakeCredentialRequest(mcParams()), testContext()))[0],
      Status.CTAP2_ERR_OPERATION_DENIED,
    );
    env.presence.answer = 'timeout';
    assert.equal(
      (await dispatchCtap2(auth, encodeMakeCredentialRequest(mcParams()), testContext()))[0],
      Status.CTAP2_ERR_USER_ACTION_TIMEOUT,
    );
    env.presence.answer = 'hang';
    const ctx = testContext();
    const pending = dispatchCtap2(auth, encodeMakeCredentialRequest(mcParams()), ctx);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ctx.statuses, ['upneeded']);
    ctx.controller.abort();
    assert.equal((await pending)[0], Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    assert.deepEqual(ctx.statuses, ['upneeded', 'processing']);
  });

  it('answers a zero-length pinUvAuthParam probe with PIN_NOT_SET after touch', async () => {
    const { call, env } = await device();
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ pinUvAuthParam: new Uint8Array(0) }))))[0],
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    assert.equal(env.presence.requests.length, 1);
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ pinUvAuthParam: new Uint8Array(16) }))))[0],
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
  });

  it('keeps one discoverable credential per (rpId, user.id)', async () => {
    const { call, env } = await device();
    await call(encodeMakeCredentialRequest(mcParams({ options: { rk: true } })));
    await call(
      encodeMakeCredentialRequest(
        mcParams({ options: { rk: true }, user: { id: new Uint8Array([1, 2, 3, 4]), name: 'alice2' } }),
      ),
    );
    assert.equal(env.store.countResident(), 1);
    assert.equal(env.store.listResident('example.com')[0]!.userName, 'alice2');
    await call(encodeMakeCredentialRequest(mcParams({ options: { rk: false } })));
    assert.equal(env.store.countResident(), 1, 'non-resident credentials are not stored');
  });
});

describe('authenticatorGetAssertion / getNextAssertion', () => {
  async function register(call: (r: Uint8Array) => Promise<Uint8Array>, over: Partial<MakeCredentialRequest> = {}) {
    const r = decodeMakeCredentialResponse(await call(encodeMakeCredentialRequest(mcParams(over))));
    const acd = parseAuthenticatorData(r.authData).attestedCredentialData!;
    return { id: acd.credentialId, publicKey: decodeCoseKey(acd.credentialPublicKey) };
  }

  for (const alg of [-7, -8, -257, -35, -36]) {
    it(`signs with an allowList credential (${alg}) and counts up`, async () => {
      const { call } = await device();
      const cred = await register(call, { pubKeyCredParams: [{ type: 'public-key', alg }] });
      const unknown = { type: 'public-key', id: new Uint8Array(40) };
      let last = 0;
      for (let i = 0; i < 3; i++) {
        const params = gaParams({ allowList: [unknown, { type: 'public-key', id: cred.id }] });
        const a = decodeGetAssertionResponse(await call(encodeGetAssertionRequest(params)));
        assert.deepEqual(a.credential.id, cred.id);
        const ad = parseAuthenticatorData(a.authData);
        assert.equal(ad.flags, Flag.UP);
        assert.ok(ad.signCount > last);
        last = ad.signCount;
        assert.ok(verifySignature(cred.publicKey, concat(a.authData, params.clientDataHash), a.signature));
        assert.equal(a.user, undefined);
        assert.equal(a.numberOfCredentials, undefined);
      }
    });
  }

  it('does not find a credential for another RP or from before a reset', async () => {
    const { call } = await device();
    const cred = await register(call);
    const other = await call(
      encodeGetAssertionRequest(gaParams({ rpId: 'evil.example', allowList: [{ type: 'public-key', id: cred.id }] })),
    );
    assert.equal(other[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    const tampered = cred.id.slice();
    tampered[tampered.length - 1]! ^= 1;
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ allowList: [{ type: 'public-key', id: tampered }] }))))[0],
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ allowList: [{ type: 'public-key', id: cred.id }] }))))[0],
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
  });

  it('lists discoverable credentials newest first through getNextAssertion', async () => {
    const { call, env } = await device();
    const users = ['u1', 'u2', 'u3'];
    const creds = [];
    for (const u of users)
      creds.push(await register(call, { options: { rk: true }, user: { id: new TextEncoder().encode(u), name: u } }));
    await register(call, { options: { rk: true }, rp: { id: 'elsewhere.example' } });
    const params = gaParams();
    const first = decodeGetAssertionResponse(await call(encodeGetAssertionRequest(params)));
    assert.equal(first.numberOfCredentials, 3);
    const seen = [first];
    for (let i = 0; i < 2; i++)
      seen.push(decodeGetAssertionResponse(await call(encodeSimpleCommand(Command.authenticatorGetNextAssertion))));
    assert.deepEqual(
      seen.map((a) => new TextDecoder().decode(a.user!.id)),
      ['u3', 'u2', 'u1'],
    );
    for (const a of seen) {
      const cred = creds.find((c) => toHex(c.id) === toHex(a.credential.id))!;
      assert.ok(verifySignature(cred.publicKey, concat(a.authData, params.clientDataHash), a.signature));
      assert.equal(a.user!.name, undefined, 'no user details without UV');
    }
    assert.equal(
      (await call(encodeSimpleCommand(Command.authenticatorGetNextAssertion)))[0],
      Status.CTAP2_ERR_NOT_ALLOWED,
    );
    // The 30 s timer.
    await call(encodeGetAssertionRequest(params));
    env.clock.advance(30_001);
    assert.equal(
      (await call(encodeSimpleCommand(Command.authenticatorGetNextAssertion)))[0],
      Status.CTAP2_ERR_NOT_ALLOWED,
    );
  });

  it('honours up=false (no prompt, no UP flag), rk and uv options, and NO_CREDENTIALS', async () => {
    const { call, env } = await device();
    const cred = await register(call, { options: { rk: true } });
    const prompts = env.presence.requests.length;
    const a = decodeGetAssertionResponse(await call(encodeGetAssertionRequest(gaParams({ options: { up: false } }))));
    assert.deepEqual(a.credential.id, cred.id);
    assert.equal(parseAuthenticatorData(a.authData).flags & Flag.UP, 0);
    assert.equal(env.presence.requests.length, prompts);
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ options: { rk: true } }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_OPTION,
    );
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ options: { uv: true } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ rpId: 'none.example' }))))[0],
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
  });

  it('hides credProtect level 3 credentials without UV and level 2 from discovery', async () => {
    const { call } = await device();
    const ext = (level: number) => new Map([['credProtect', level]]);
    const c3 = await register(call, { options: { rk: true }, extensions: ext(3), user: { id: new Uint8Array([3]) } });
    const made = decodeMakeCredentialResponse(
      await call(
        encodeMakeCredentialRequest(
          mcParams({ options: { rk: true }, extensions: ext(2), user: { id: new Uint8Array([2]) } }),
        ),
      ),
    );
    const adMade = parseAuthenticatorData(made.authData);
    assert.equal(extensionsOf(adMade)?.get('credProtect'), 2);
    const c2id = adMade.attestedCredentialData!.credentialId;
    assert.equal((await call(encodeGetAssertionRequest(gaParams())))[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ allowList: [{ type: 'public-key', id: c3.id }] }))))[0],
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    const a2 = decodeGetAssertionResponse(
      await call(encodeGetAssertionRequest(gaParams({ allowList: [{ type: 'public-key', id: c2id }] }))),
    );
    assert.deepEqual(a2.credential.id, c2id);
    // An excludeList entry at level 3 does not reveal the credential without UV.
    assert.equal(
      (await call(encodeMakeCredentialRequest(mcParams({ excludeList: [{ type: 'public-key', id: c3.id }] }))))[0],
      Status.CTAP2_OK,
    );
  });

  it('stops using a discoverable credential once it is deleted from the store', async () => {
    const { call, env } = await device();
    const cred = await register(call, { options: { rk: true } });
    env.store.deleteResident(cred.id);
    assert.equal(
      (await call(encodeGetAssertionRequest(gaParams({ allowList: [{ type: 'public-key', id: cred.id }] }))))[0],
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
  });
});

describe('authenticatorReset and authenticatorSelection', () => {
  it('resets only within 10 s of power-up and with presence', async () => {
    const { call, env, auth } = await device();
    await call(encodeMakeCredentialRequest(mcParams({ options: { rk: true } })));
    env.presence.answer = 'denied';
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_ERR_OPERATION_DENIED);
    assert.equal(env.store.countResident(), 1);
    env.presence.answer = 'approved';
    env.clock.advance(10_001);
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_ERR_NOT_ALLOWED);
    auth.powerCycle();
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
    assert.equal(env.store.countResident(), 0);
    assert.equal(env.presence.requests.at(-1)!.operation, 'reset');
  });

  it('selection succeeds with presence and fails when denied', async () => {
    const { call, env } = await device();
    assert.deepEqual(await call(encodeSimpleCommand(Command.authenticatorSelection)), new Uint8Array([0]));
    env.presence.answer = 'timeout';
    assert.equal(
      (await call(encodeSimpleCommand(Command.authenticatorSelection)))[0],
      Status.CTAP2_ERR_USER_ACTION_TIMEOUT,
    );
  });
});
