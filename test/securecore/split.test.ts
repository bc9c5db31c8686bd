/**
 * Split mode in one process: the front (SplitAuthenticator) and the secure core
 * (SecureCoreService on a test Env) joined by an in-memory stream, so every message crosses the
 * same codec and framing as between the two processes. Signatures are checked with node:crypto
 * against the keys in the authenticator data and the attestation certificate.
 */
import assert from 'node:assert/strict';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import * as cbor2 from 'cbor2';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import type { RequestContext } from '../../src/ctap2/api.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import type { GetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { concat } from '../../src/encoding/bytes.js';
import { CoseAlg, decodeCoseKey } from '../../src/encoding/cose.js';
import { SecureCoreService, serveSecureCore } from '../../src/split/core/secureCore.js';
import { openSplitDevice } from '../../src/main/splitDevice.js';
import { SplitAuthenticator } from '../../src/split/front/splitAuthenticator.js';
import { SecureCoreLink } from '../../src/split/front/coreLink.js';
import { Fido2MessageType } from '../../src/securecore/messages.js';
import {
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinUvAuthTokenUsingPinParams,
  pinUvAuthParamFor,
  setPinParams,
} from '../../src/ctap2/hostCodec.js';
import {
  decodeClientPinResponse,
  encodeClientPinRequest,
  type ClientPinRequest,
  ClientPinSubCommand as Sub,
  PinUvAuthTokenPermission as Perm,
} from '../../src/ctap2/clientPin.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import { Command } from '../../src/ctap2/commands.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { testEnv } from '../helpers/env.js';

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const NAME_OF = new Map<number, string>(Object.entries(Fido2MessageType).map(([n, c]) => [c, n]));

async function splitPair(config: Partial<AuthenticatorConfig> = {}) {
  const env = testEnv();
  const service = await SecureCoreService.create(env, defaultConfig(config));
  const seen: string[] = []; // message types as they cross, by the envelope's type number
  const handle = service.handle.bind(service);
  service.handle = async (request) => {
    seen.push(NAME_OF.get(request[4]! | (request[5]! << 8))!);
    const response = await handle(request);
    seen.push(NAME_OF.get(response[4]! | (response[5]! << 8))!);
    return response;
  };
  const link = new SecureCoreLink(() => {
    const toCore = new PassThrough();
    const toFront = new PassThrough();
    const coreSide = Duplex.from({ readable: toCore, writable: toFront });
    const frontSide = Duplex.from({ readable: toFront, writable: toCore });
    void serveSecureCore(service, coreSide);
    return { stream: frontSide, close: () => (toCore.end(), toFront.end()) };
  });
  // The front gets a link and a config: no Env, no store, no vault, no key material.
  const front = new SplitAuthenticator(link, defaultConfig(config));
  return { env, front, link, seen };
}

function ctx(): RequestContext & { statuses: string[] } {
  const statuses: string[] = [];
  return { signal: new AbortController().signal, setStatus: (s) => statuses.push(s), statuses };
}

function mcRequest(
  rk: boolean,
  alg: number = CoseAlg.ES256,
  extra: Partial<MakeCredentialRequest> = {},
): MakeCredentialRequest {
  return {
    clientDataHash: sha256('create'),
    rp: { id: 'split.example' },
    user: { id: new Uint8Array([1, 2, 3]), name: 'alice', displayName: 'Alice' },
    pubKeyCredParams: [{ type: 'public-key', alg }],
    options: { rk },
    ...extra,
  };
}

function gaRequest(allow: Uint8Array[] | undefined, options: Array<[string, boolean]> = []): GetAssertionRequest {
  return {
    rpId: 'split.example',
    clientDataHash: sha256('get'),
    ...(allow && { allowList: allow.map((id) => ({ type: 'public-key', id })) }),
    options: Object.fromEntries(options),
  };
}

async function rejectsWith(p: Promise<unknown>, status: number) {
  await assert.rejects(p, (e: unknown) => e instanceof CtapError && e.status === status);
}

describe('split mode: front and secure core', () => {
  it('makeCredential ES256 rk travels as the seed message; basic attestation verifies', async () => {
    const { front, seen } = await splitPair();
    const c = ctx();
    const req = mcRequest(true);
    const r = await front.makeCredential(req, c);
    assert.deepEqual(seen.slice(0, 2), ['makeCredentialRequest', 'makeCredentialResponse']);
    assert.deepEqual(c.statuses, ['upneeded', 'processing']);
    const ad = parseAuthenticatorData(r.authData);
    assert.deepEqual(ad.rpIdHash, sha256('split.example'));
    assert.equal(ad.flags, Flag.UP | Flag.AT);
    assert.equal(ad.attestedCredentialData!.credentialId.length, 16);
    assert.equal(r.fmt, 'packed');
    const cert = new X509Certificate(((r.attStmt as ReadonlyMap<string, unknown>).get('x5c') as Uint8Array[])[0]!);
    assert.ok(
      verify(
        'sha256',
        concat(r.authData, req.clientDataHash),
        cert.publicKey,
        (r.attStmt as ReadonlyMap<string, unknown>).get('sig') as Uint8Array,
      ),
    );
  });

  it('self attestation: signed by the new credential key', async () => {
    const { front } = await splitPair({ attestation: 'self' });
    const req = mcRequest(false, CoseAlg.EdDSA);
    const r = await front.makeCredential(req, ctx());
    const key = decodeCoseKey(parseAuthenticatorData(r.authData).attestedCredentialData!.credentialPublicKey);
    assert.equal((r.attStmt as ReadonlyMap<string, unknown>).get('alg'), CoseAlg.EdDSA);
    assert.ok(
      verifySignature(
        key,
        concat(r.authData, req.clientDataHash),
        (r.attStmt as ReadonlyMap<string, unknown>).get('sig') as Uint8Array,
      ),
    );
  });

  it('getAssertion with an allowList: the seed message for ES256, getAssertionEx for the others', async () => {
    const { front, seen } = await splitPair();
    for (const [alg, messages] of [
      [CoseAlg.ES256, ['getAssertionRequest', 'getAssertionResponse']],
      [
        CoseAlg.EdDSA,
        ['getAssertionRequest', 'getAssertionResponse', 'getAssertionExRequest', 'getAssertionExResponse'],
      ],
      [
        CoseAlg.RS256,
        ['getAssertionRequest', 'getAssertionResponse', 'getAssertionExRequest', 'getAssertionExResponse'],
      ],
    ] as const) {
      const made = parseAuthenticatorData(
        (await front.makeCredential(mcRequest(false, alg), ctx())).authData,
      ).attestedCredentialData!;
      const key = decodeCoseKey(made.credentialPublicKey);
      const counters: number[] = [];
      for (let i = 0; i < 2; i++) {
        seen.length = 0;
        const req = gaRequest([new Uint8Array(16).fill(0x5a), made.credentialId]); // an unknown ID first
        const a = await front.getAssertion(req, ctx());
        assert.deepEqual(seen, messages, `alg ${alg}`);
        assert.deepEqual(a.credential.id, made.credentialId);
        assert.equal(a.user, undefined, 'a non-discoverable credential has no user');
        const ad = parseAuthenticatorData(a.authData);
        assert.equal(ad.flags, Flag.UP);
        assert.ok(verifySignature(key, concat(a.authData, req.clientDataHash), a.signature), `alg ${alg} signature`);
        counters.push(ad.signCount);
      }
      assert.ok(counters[1]! > counters[0]!);
    }
  });

  it('up=false is the seed silent flag: no prompt, UP clear', async () => {
    const { front, env } = await splitPair();
    const made = parseAuthenticatorData(
      (await front.makeCredential(mcRequest(true), ctx())).authData,
    ).attestedCredentialData!;
    const prompts = env.presence.requests.length;
    const c = ctx();
    const a = await front.getAssertion(gaRequest([made.credentialId], [['up', false]]), c);
    assert.equal(env.presence.requests.length, prompts);
    assert.equal(parseAuthenticatorData(a.authData).flags & Flag.UP, 0);
    assert.deepEqual(c.statuses, []);
  });

  it('discoverable: getAssertionEx counts, getNextAssertion walks newest first', async () => {
    const { front, seen } = await splitPair();
    const ids: Uint8Array[] = [];
    for (const [i, alg] of [CoseAlg.ES256, CoseAlg.EdDSA, CoseAlg.RS256].entries()) {
      const r = await front.makeCredential(
        mcRequest(true, alg, { user: { id: new Uint8Array([i]), name: `u${i}` } }),
        ctx(),
      );
      ids.push(parseAuthenticatorData(r.authData).attestedCredentialData!.credentialId);
    }
    seen.length = 0;
    const first = await front.getAssertion(gaRequest(undefined), ctx());
    assert.deepEqual(seen, ['getAssertionExRequest', 'getAssertionExResponse']);
    assert.equal(first.numberOfCredentials, 3);
    const rest = [await front.getNextAssertion(), await front.getNextAssertion()];
    assert.deepEqual(
      [first, ...rest].map((a) => a.user!.id),
      [new Uint8Array([2]), new Uint8Array([1]), new Uint8Array([0])],
    );
    assert.deepEqual(
      [first, ...rest].map((a) => a.credential.id),
      ids.reverse(),
    );
    await rejectsWith(front.getNextAssertion(), Status.CTAP2_ERR_NOT_ALLOWED);
  });

  it('excludeList travels in makeCredentialEx: the authenticator in the core excludes (§6.1.2 step 12)', async () => {
    const { front, seen, env } = await splitPair();
    const made = parseAuthenticatorData(
      (await front.makeCredential(mcRequest(false), ctx())).authData,
    ).attestedCredentialData!;
    seen.length = 0;
    const prompts = env.presence.requests.length;
    await rejectsWith(
      front.makeCredential(
        mcRequest(false, CoseAlg.ES256, { excludeList: [{ type: 'public-key', id: made.credentialId }] }),
        ctx(),
      ),
      Status.CTAP2_ERR_CREDENTIAL_EXCLUDED,
    );
    assert.deepEqual(seen, ['makeCredentialExRequest', 'errorResponse']);
    assert.equal(env.presence.requests.length, prompts + 1, 'user presence first, then the error');
  });

  it('an RP name travels in makeCredentialEx and is kept with a discoverable credential', async () => {
    const { front, seen, env } = await splitPair();
    await front.makeCredential(mcRequest(true, CoseAlg.ES256, { rp: { id: 'split.example', name: 'Split' } }), ctx());
    assert.deepEqual(seen.slice(0, 2), ['makeCredentialExRequest', 'makeCredentialExResponse']);
    assert.equal(env.store.listResident('split.example')[0]!.rpName, 'Split');
  });

  it('error codes map to CTAP statuses (issue #6 table)', async () => {
    const { front, env } = await splitPair({ maxResidentCredentials: 1 });
    env.presence.answer = 'denied';
    await rejectsWith(front.makeCredential(mcRequest(true), ctx()), Status.CTAP2_ERR_OPERATION_DENIED);
    env.presence.answer = 'timeout';
    await rejectsWith(front.makeCredential(mcRequest(true), ctx()), Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    env.presence.answer = 'approved';
    await front.makeCredential(mcRequest(true), ctx());
    await rejectsWith(
      front.makeCredential(mcRequest(true, CoseAlg.ES256, { user: { id: new Uint8Array([9]) } }), ctx()),
      Status.CTAP2_ERR_KEY_STORE_FULL,
    );
    await rejectsWith(
      front.getAssertion({ ...gaRequest(undefined), rpId: 'nobody.example' }, ctx()),
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    await rejectsWith(front.getAssertion(gaRequest([new Uint8Array(16)]), ctx()), Status.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('reset: inside the window after a power cycle, and then the credentials are gone', async () => {
    const { front, env } = await splitPair();
    const made = parseAuthenticatorData(
      (await front.makeCredential(mcRequest(false), ctx())).authData,
    ).attestedCredentialData!;
    env.clock.advance(20_000);
    await rejectsWith(front.reset(ctx()), Status.CTAP2_ERR_NOT_ALLOWED);
    await front.powerCycle();
    await front.reset(ctx());
    await rejectsWith(front.getAssertion(gaRequest([made.credentialId]), ctx()), Status.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('CTAPHID_CANCEL during a prompt: cancelRequest ends it with CTAP2_ERR_KEEPALIVE_CANCEL', async () => {
    const { front, env } = await splitPair();
    env.presence.answer = 'hang';
    const controller = new AbortController();
    const statuses: string[] = [];
    const pending = front.makeCredential(mcRequest(true), {
      signal: controller.signal,
      setStatus: (s) => statuses.push(s),
    });
    while (env.presence.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(statuses, ['upneeded']);
    controller.abort();
    await rejectsWith(pending, Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    env.presence.answer = 'approved';
    await front.makeCredential(mcRequest(true), ctx()); // the link is still in step
  });

  it('long names are cut at a character boundary to the seed’s 64 bytes', async () => {
    const { front, env } = await splitPair();
    await front.makeCredential(
      mcRequest(true, CoseAlg.ES256, {
        user: { id: new Uint8Array([1]), name: 'é'.repeat(40), displayName: 'd'.repeat(100) },
      }),
      ctx(),
    );
    const [stored] = env.store.listResident('split.example');
    assert.equal(stored!.userName, 'é'.repeat(32));
    assert.equal(stored!.userDisplayName, 'd'.repeat(64));
  });
});

/** A split device (front + in-process core) driven by CTAP2 bytes. */
async function splitDevice() {
  const env = testEnv();
  const service = await SecureCoreService.create(env, defaultConfig());
  const device = openSplitDevice({
    core: () => {
      const toCore = new PassThrough();
      const toFront = new PassThrough();
      void serveSecureCore(service, Duplex.from({ readable: toCore, writable: toFront }));
      return {
        stream: Duplex.from({ readable: toFront, writable: toCore }),
        close: () => (toCore.end(), toFront.end()),
      };
    },
  });
  return { env, device };
}

describe('split device: CTAP2 bytes in, bytes out', () => {
  it('getInfo and the commands beyond the seed answer as the single-process device (credentialManagement, largeBlobs, config)', async () => {
    const { device } = await splitDevice();
    const single = await createAuthenticator(testEnv(), defaultConfig());
    const ctx: RequestContext = { signal: new AbortController().signal, setStatus: () => {} };
    const info = await device.cbor(new Uint8Array([0x04]));
    // encIdentifier (0x19) and encCredStoreState (0x1E) are fresh ciphertexts each time (CTAP 2.3).
    const stable = (r: Uint8Array) =>
      [...(cbor2.decode(r.subarray(1)) as Map<number, unknown>)].filter(([k]) => k !== 0x19 && k !== 0x1e);
    assert.equal(info[0], 0);
    assert.deepEqual(stable(info), stable(await dispatchCtap2(single, new Uint8Array([0x04]), ctx)));
    const map = cbor2.decode(info.subarray(1)) as Map<number, unknown>;
    assert.deepEqual(map.get(1), ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    assert.ok((map.get(2) as string[]).includes('hmac-secret'));
    for (const request of [
      [0x0a, 0xa0],
      [0x0a, 0xa1, 0x01, 0x01],
      [0x41, 0xa1, 0x01, 0x01],
      [0x0c, 0xa2, 0x01, 0x18, 0x20, 0x03, 0x00],
      [0x0d, 0xa1, 0x01, 0x01],
      [0x0c, 0xa0],
      [0x42],
    ]) {
      const bytes = new Uint8Array(request);
      assert.deepEqual(
        await device.cbor(bytes),
        await dispatchCtap2(single, bytes, ctx),
        `request ${Buffer.from(bytes).toString('hex')}`,
      );
    }
    device.close();
  });

  for (const version of [2, 1] as const) {
    it(`clientPIN protocol ${version} in the core: set a PIN, get a token, UV in makeCredential and getAssertion`, async () => {
      const { device } = await splitDevice();
      const p = platformProtocol(version);
      const pin = async (params: ClientPinRequest) => device.cbor(encodeClientPinRequest(params));
      const keyAgreement = async () => decodeClientPinResponse(await pin(getKeyAgreementParams(p))).keyAgreement!;
      const clientPinOption = async () =>
        decodeGetInfoResponse(await device.cbor(encodeSimpleCommand(Command.authenticatorGetInfo))).options!.clientPin;

      assert.equal(await clientPinOption(), false);
      assert.deepEqual(await pin(setPinParams(p, await keyAgreement(), '1234').params), new Uint8Array([0]));
      assert.equal(await clientPinOption(), true);
      // A discoverable credential now needs a token.
      const mc = (extra: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
        clientDataHash: sha256('create'),
        rp: { id: 'pin.example' },
        user: { id: new Uint8Array([5]), name: 'carol', displayName: 'Carol' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        options: { rk: true },
        ...extra,
      });
      assert.deepEqual(
        await device.cbor(encodeMakeCredentialRequest(mc())),
        new Uint8Array([Status.CTAP2_ERR_PUAT_REQUIRED]),
      );
      // A wrong PIN: PIN_INVALID, one retry fewer.
      const wrong = getPinUvAuthTokenUsingPinParams(p, await keyAgreement(), '9999', Perm.mc | Perm.ga, 'pin.example');
      assert.deepEqual(await pin(wrong.params), new Uint8Array([Status.CTAP2_ERR_PIN_INVALID]));
      assert.equal(decodeClientPinResponse(await pin({ subCommand: Sub.getPINRetries })).pinRetries, 7);

      const token = async () => {
        const ex = getPinUvAuthTokenUsingPinParams(p, await keyAgreement(), '1234', Perm.mc | Perm.ga, 'pin.example');
        const r = await pin(ex.params);
        assert.equal(r[0], 0);
        return decryptPinUvAuthToken(p, ex.sharedSecret, decodeClientPinResponse(r))!;
      };
      let t = await token();
      const made = decodeMakeCredentialResponse(
        await device.cbor(
          encodeMakeCredentialRequest(
            mc({ pinUvAuthParam: pinUvAuthParamFor(p, t, sha256('create')), pinUvAuthProtocol: version }),
          ),
        ),
      );
      const ad = parseAuthenticatorData(made.authData);
      assert.equal(ad.flags & Flag.UV, Flag.UV);
      assert.equal(ad.attestedCredentialData!.credentialId.length, 16);
      // A bad pinUvAuthParam: PIN_AUTH_INVALID from the core, as a CTAP status.
      t = await token();
      const bad = pinUvAuthParamFor(p, new Uint8Array(32), sha256('get'));
      assert.deepEqual(
        await device.cbor(
          encodeGetAssertionRequest({
            rpId: 'pin.example',
            clientDataHash: sha256('get'),
            pinUvAuthParam: bad,
            pinUvAuthProtocol: version,
          }),
        ),
        new Uint8Array([Status.CTAP2_ERR_PIN_AUTH_INVALID]),
      );
      const a = decodeGetAssertionResponse(
        await device.cbor(
          encodeGetAssertionRequest({
            rpId: 'pin.example',
            clientDataHash: sha256('get'),
            pinUvAuthParam: pinUvAuthParamFor(p, t, sha256('get')),
            pinUvAuthProtocol: version,
          }),
        ),
      );
      assert.equal(parseAuthenticatorData(a.authData).flags & (Flag.UV | Flag.UP), Flag.UV | Flag.UP);
      assert.deepEqual(a.user, { id: new Uint8Array([5]), name: 'carol', displayName: 'Carol' }); // names only with UV
      const key = decodeCoseKey(ad.attestedCredentialData!.credentialPublicKey);
      assert.ok(verifySignature(key, concat(a.authData, sha256('get')), a.signature));
      // The zero-length probe: PIN_INVALID (a PIN is set).
      assert.deepEqual(
        await device.cbor(
          encodeMakeCredentialRequest(mc({ pinUvAuthParam: new Uint8Array(0), pinUvAuthProtocol: version })),
        ),
        new Uint8Array([Status.CTAP2_ERR_PIN_INVALID]),
      );
      device.close();
    });
  }
});
// That the front imports no key material is a row of test/arch.test.ts (split/front: no crypto, store or authenticator).
