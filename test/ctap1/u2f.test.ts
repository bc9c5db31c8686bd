/**
 * CTAP1/U2F through its wire format (APDUs into dispatchCtap1), in-process with a clock we advance
 * and scripted presence: VERSION, REGISTER (fido-u2f attestation verified with the certificate's
 * key), AUTHENTICATE with each control byte, the polled test of user presence, and the credentials
 * shared with CTAP2 (CTAP 2.1 §10): U2F-made ones through getAssertion with rpId = appid, CTAP2 ones
 * through U2F, one signature counter.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createHash, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import type { PresenceRequest, PresenceResult, UserPresence } from '../../src/authenticator/env.js';
import { U2fAuthenticator } from '../../src/authenticator/u2f.js';
import { U2F_PRESENCE_LATCH_MS } from '../../src/authenticator/u2fPresence.js';
import { decodeResponseApdu, encodeCommandApdu } from '../../src/ctap1/apdu.js';
import { dispatchCtap1, type Ctap1Authenticator } from '../../src/ctap1/dispatch.js';
import {
  authenticationSignedData,
  decodeAuthenticateResponse,
  decodeRegisterResponse,
  registrationSignedData,
  U2fAuthControl,
  U2fIns,
  type U2fAuthControlName,
} from '../../src/ctap1/messages.js';
import { StatusWord } from '../../src/ctap1/statusWords.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { isSlotHandle } from '../../src/store/credentialSlot.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import { concat, utf8 } from '../../src/encoding/bytes.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { SeededRng, testContext, testEnv } from '../helpers/env.js';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const APPID = 'https://u2f.softkey.test';
const APP = sha256(APPID);
const OTHER_APP = sha256('https://other.test');
const CHALLENGE = sha256('client data');

/** A presence port whose answers the test gives later. */
class DeferredPresence implements UserPresence {
  readonly requests: PresenceRequest[] = [];
  private resolvers: Array<(r: PresenceResult) => void> = [];
  request(req: PresenceRequest): Promise<PresenceResult> {
    this.requests.push(req);
    return new Promise((resolve) => this.resolvers.push(resolve));
  }
  answer(r: PresenceResult): void {
    for (const resolve of this.resolvers.splice(0)) resolve(r);
  }
}

async function device(presence?: UserPresence, seed?: string, config?: Partial<AuthenticatorConfig>) {
  const env = testEnv();
  if (presence) env.presence = presence as typeof env.presence;
  if (seed) env.rng = new SeededRng(seed);
  const auth = await createAuthenticator(env, defaultConfig(config));
  const u2f = new U2fAuthenticator(auth.core);
  const errors: unknown[] = [];
  const apdu = async (bytes: Uint8Array) =>
    decodeResponseApdu(await dispatchCtap1(u2f, bytes, testContext(), { onInternalError: (e) => errors.push(e) }));
  const register = (app = APP, challenge = CHALLENGE) =>
    apdu(encodeCommandApdu({ ins: U2fIns.U2F_REGISTER, data: concat(challenge, app), ne: 65536 }));
  const authenticate = (
    keyHandle: Uint8Array,
    control: U2fAuthControlName = 'enforce-user-presence-and-sign',
    app = APP,
    challenge = CHALLENGE,
  ) =>
    apdu(
      encodeCommandApdu({
        ins: U2fIns.U2F_AUTHENTICATE,
        p1: U2fAuthControl[control],
        data: concat(challenge, app, new Uint8Array([keyHandle.length]), keyHandle),
        ne: 65536,
      }),
    );
  const ctap2 = async (request: Uint8Array) => dispatchCtap2(auth, request, testContext());
  return { env, auth, apdu, register, authenticate, ctap2, errors };
}

/** Registers and checks the fido-u2f attestation signature with the certificate's own key. */
async function registered(d: Awaited<ReturnType<typeof device>>, app = APP) {
  const { sw, data } = await d.register(app);
  assert.equal(sw, StatusWord.SW_NO_ERROR);
  const r = decodeRegisterResponse(data);
  const cert = new X509Certificate(r.attestationCertificate);
  assert.ok(
    verify('sha256', registrationSignedData(app, CHALLENGE, r.keyHandle, r.userPublicKey), cert.publicKey, r.signature),
    'attestation signature verifies',
  );
  return r;
}

const userKey = (point: Uint8Array) => ({
  kty: 'EC2' as const,
  alg: -7 as const,
  x: point.slice(1, 33),
  y: point.slice(33, 65),
});

describe('U2F_VERSION', () => {
  it('answers U2F_V2 for short and extended encodings', async () => {
    const d = await device();
    for (const bytes of [
      encodeCommandApdu({ ins: U2fIns.U2F_VERSION }, 'short'),
      encodeCommandApdu({ ins: U2fIns.U2F_VERSION, ne: 256 }, 'short'),
      Uint8Array.of(0, 3, 0, 0, 0, 0, 0, 0, 0),
    ]) {
      const { sw, data } = await d.apdu(bytes);
      assert.equal(sw, StatusWord.SW_NO_ERROR);
      assert.equal(utf8.decode(data), 'U2F_V2');
    }
  });

  it('other CLA, INS and lengths get their status words', async () => {
    const d = await device();
    assert.equal((await d.apdu(Uint8Array.of(0x80, 3, 0, 0))).sw, StatusWord.SW_CLA_NOT_SUPPORTED);
    assert.equal((await d.apdu(Uint8Array.of(0, 0x40, 0, 0))).sw, StatusWord.SW_INS_NOT_SUPPORTED);
    assert.equal((await d.apdu(Uint8Array.of(0, 3))).sw, StatusWord.SW_WRONG_LENGTH);
    assert.equal((await d.apdu(Uint8Array.of(0, 1, 0, 0, 1, 0))).sw, StatusWord.SW_WRONG_LENGTH);
  });
});

describe('U2F_REGISTER', () => {
  it('returns 0x05 ‖ public key ‖ key handle ‖ the device attestation certificate ‖ signature', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal(r.userPublicKey[0], 0x04);
    assert.ok(r.keyHandle.length <= 255);
    assert.deepEqual(r.attestationCertificate, d.auth.core.attestation.certificate);
    assert.equal(d.env.presence.requests.length, 1);
    assert.equal(d.env.presence.requests[0]!.operation, 'u2fRegister');
    // Two registrations for one application are two credentials.
    const again = await registered(d);
    assert.notDeepEqual(again.keyHandle, r.keyHandle);
  });

  it('without user presence: SW_CONDITIONS_NOT_SATISFIED at once', async () => {
    const d = await device();
    d.env.presence.answer = 'denied';
    assert.deepEqual(await d.register(), { sw: StatusWord.SW_CONDITIONS_NOT_SATISFIED, data: new Uint8Array(0) });
    d.env.presence.answer = 'approved';
    assert.equal((await d.register()).sw, StatusWord.SW_NO_ERROR);
  });
});

describe('U2F_AUTHENTICATE', () => {
  it('enforce-user-presence-and-sign: UP set, the counter grows, the signature verifies', async () => {
    const d = await device();
    const r = await registered(d);
    for (const expected of [1, 2]) {
      const { sw, data } = await d.authenticate(r.keyHandle);
      assert.equal(sw, StatusWord.SW_NO_ERROR);
      const a = decodeAuthenticateResponse(data);
      assert.equal(a.userPresence, 1);
      assert.equal(a.counter, expected);
      assert.ok(
        verifySignature(userKey(r.userPublicKey), authenticationSignedData(APP, 1, a.counter, CHALLENGE), a.signature),
      );
    }
    assert.deepEqual(
      d.env.presence.requests.map((q) => q.operation),
      ['u2fRegister', 'u2fAuthenticate', 'u2fAuthenticate'],
    );
  });

  it('dont-enforce-user-presence-and-sign: UP clear, no prompt', async () => {
    const d = await device();
    const r = await registered(d);
    d.env.presence.answer = 'denied';
    const { sw, data } = await d.authenticate(r.keyHandle, 'dont-enforce-user-presence-and-sign');
    assert.equal(sw, StatusWord.SW_NO_ERROR);
    const a = decodeAuthenticateResponse(data);
    assert.equal(a.userPresence, 0);
    assert.ok(
      verifySignature(userKey(r.userPublicKey), authenticationSignedData(APP, 0, a.counter, CHALLENGE), a.signature),
    );
    assert.equal(d.env.presence.requests.length, 1);
    assert.equal((await d.authenticate(r.keyHandle)).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
  });

  it('check-only: 6985 for our key handle, 6A80 otherwise; never signs or counts', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal((await d.authenticate(r.keyHandle, 'check-only')).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal((await d.authenticate(r.keyHandle, 'check-only', OTHER_APP)).sw, StatusWord.SW_WRONG_DATA);
    const tampered = r.keyHandle.slice();
    tampered[20]! ^= 1;
    assert.equal((await d.authenticate(tampered, 'check-only')).sw, StatusWord.SW_WRONG_DATA);
    assert.equal(d.env.store.getCounter(r.keyHandle), 0);
    assert.equal(d.env.presence.requests.length, 1);
  });

  it('a key handle for another application, foreign or truncated: SW_WRONG_DATA', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal(
      (await d.authenticate(r.keyHandle, 'enforce-user-presence-and-sign', OTHER_APP)).sw,
      StatusWord.SW_WRONG_DATA,
    );
    assert.equal((await d.authenticate(new Uint8Array(64).fill(7))).sw, StatusWord.SW_WRONG_DATA);
    assert.equal((await d.authenticate(r.keyHandle.subarray(0, r.keyHandle.length - 1))).sw, StatusWord.SW_WRONG_DATA);
    assert.equal((await d.authenticate(new Uint8Array(0))).sw, StatusWord.SW_WRONG_DATA);
    const other = await device(undefined, 'another device');
    assert.equal((await other.authenticate(r.keyHandle)).sw, StatusWord.SW_WRONG_DATA, 'another device');
  });

  it('after authenticatorReset the old key handles are gone', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal((await d.ctap2(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
    assert.equal((await d.authenticate(r.keyHandle, 'check-only')).sw, StatusWord.SW_WRONG_DATA);
  });
});

describe('profiles with credential slots', () => {
  it('key handles are slot handles; a full device answers 6A84 before asking for a touch', async () => {
    const d = await device(undefined, undefined, { credentialSlots: 2 });
    const r1 = await registered(d);
    await registered(d);
    assert.ok(isSlotHandle(r1.keyHandle), 'a slot handle');
    assert.equal(d.env.store.countSlots(), 2);
    const a = await d.authenticate(r1.keyHandle);
    assert.equal(a.sw, StatusWord.SW_NO_ERROR);
    assert.ok(
      verifySignature(
        userKey(r1.userPublicKey),
        authenticationSignedData(APP, 1, 1, CHALLENGE),
        decodeAuthenticateResponse(a.data).signature,
      ),
    );
    assert.equal((await d.authenticate(r1.keyHandle, 'check-only', OTHER_APP)).sw, StatusWord.SW_WRONG_DATA);
    const prompts = d.env.presence.requests.length;
    assert.equal((await d.register()).sw, StatusWord.SW_NOT_ENOUGH_MEMORY);
    assert.equal(d.env.presence.requests.length, prompts);
  });
});

describe('polled test of user presence', () => {
  it('the first request starts the prompt, polls get 6985 until the user approves, the approval serves one request', async () => {
    const presence = new DeferredPresence();
    const d = await device(presence);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal((await d.register(OTHER_APP)).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal(presence.requests.length, 1, 'one prompt while it is up');
    presence.answer('approved');
    await new Promise((resolve) => setImmediate(resolve));
    const r = await registered(d);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED, 'the approval was used up');
    assert.equal(presence.requests.length, 2);
    // The latched approval is for one operation and application; a denial just ends the prompt.
    presence.answer('denied');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await d.authenticate(r.keyHandle)).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal(presence.requests.length, 3);
  });

  it('a presence port that throws counts as a refusal and leaves nothing pending', async () => {
    let calls = 0;
    const d = await device({
      request: () => {
        calls++;
        throw new Error('panel gone');
      },
    });
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal(calls, 2);
    assert.deepEqual(d.errors, []);
  });

  it('an approval nobody collects expires, and a power cycle drops it', async () => {
    const presence = new DeferredPresence();
    const d = await device(presence);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    presence.answer('approved');
    await new Promise((resolve) => setImmediate(resolve));
    d.env.clock.advance(U2F_PRESENCE_LATCH_MS + 1);
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    presence.answer('approved');
    await new Promise((resolve) => setImmediate(resolve));
    d.auth.powerCycle();
    assert.equal((await d.register()).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
    assert.equal(presence.requests.length, 3);
  });
});

describe('credentials shared with CTAP2 (CTAP 2.1 §10)', () => {
  it('a U2F credential signs through getAssertion with rpId = appid, on the same counter', async () => {
    const d = await device();
    const r = await registered(d);
    const u = decodeAuthenticateResponse((await d.authenticate(r.keyHandle)).data);
    assert.equal(u.counter, 1);
    const cdh = sha256('webauthn client data');
    const ga = decodeGetAssertionResponse(
      await d.ctap2(
        encodeGetAssertionRequest({
          rpId: APPID,
          clientDataHash: cdh,
          allowList: [{ type: 'public-key', id: r.keyHandle }],
        }),
      ),
    );
    const ad = parseAuthenticatorData(ga.authData);
    assert.deepEqual(ad.rpIdHash, APP);
    assert.equal(ad.signCount, 2);
    assert.equal(ad.flags & Flag.UP, Flag.UP);
    assert.ok(verifySignature(userKey(r.userPublicKey), concat(ga.authData, cdh), ga.signature));
    // Another rpId (its hash is not the application parameter) does not see it.
    const other = await d.ctap2(
      encodeGetAssertionRequest({
        rpId: 'u2f.softkey.test',
        clientDataHash: cdh,
        allowList: [{ type: 'public-key', id: r.keyHandle }],
      }),
    );
    assert.equal(other[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    assert.equal(decodeAuthenticateResponse((await d.authenticate(r.keyHandle)).data).counter, 3);
  });

  it('a U2F credential in a makeCredential excludeList for rp.id = appid: CREDENTIAL_EXCLUDED', async () => {
    const d = await device();
    const r = await registered(d);
    const mc = await d.ctap2(
      encodeMakeCredentialRequest({
        clientDataHash: sha256('mc'),
        rp: { id: APPID },
        user: { id: new Uint8Array([9]) },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        excludeList: [{ type: 'public-key', id: r.keyHandle }],
      }),
    );
    assert.equal(mc[0], Status.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  });

  async function makeCredential(
    d: Awaited<ReturnType<typeof device>>,
    opts: { alg?: number; rk?: boolean; credProtect?: number } = {},
  ) {
    const mc = decodeMakeCredentialResponse(
      await d.ctap2(
        encodeMakeCredentialRequest({
          clientDataHash: sha256('mc'),
          rp: { id: APPID },
          user: { id: new Uint8Array([1, 2, 3]), name: 'alice' },
          pubKeyCredParams: [{ type: 'public-key', alg: opts.alg ?? -7 }],
          ...(opts.rk && { options: { rk: true } }),
          ...(opts.credProtect && { extensions: new Map([['credProtect', opts.credProtect]]) }),
        }),
      ),
    );
    const acd = parseAuthenticatorData(mc.authData).attestedCredentialData!;
    return { id: acd.credentialId, publicKey: decodeCoseKey(acd.credentialPublicKey) };
  }

  it('a non-discoverable ES256 CTAP2 credential signs through U2F_AUTHENTICATE', async () => {
    const d = await device();
    const c = await makeCredential(d);
    const { sw, data } = await d.authenticate(c.id);
    assert.equal(sw, StatusWord.SW_NO_ERROR);
    const a = decodeAuthenticateResponse(data);
    assert.equal(a.counter, 1);
    assert.ok(verifySignature(c.publicKey, authenticationSignedData(APP, 1, 1, CHALLENGE), a.signature));
    assert.equal((await d.authenticate(c.id, 'check-only')).sw, StatusWord.SW_CONDITIONS_NOT_SATISFIED);
  });

  it('a discoverable ES256 credential that credProtect lets U2F use (level 1 or 2) signs through U2F_AUTHENTICATE', async () => {
    const d = await device();
    for (const credProtect of [undefined, 1, 2]) {
      const c = await makeCredential(d, { rk: true, ...(credProtect !== undefined && { credProtect }) });
      assert.equal(
        (await d.authenticate(c.id, 'check-only')).sw,
        StatusWord.SW_CONDITIONS_NOT_SATISFIED,
        `credProtect ${credProtect}`,
      );
      const { sw, data } = await d.authenticate(c.id);
      assert.equal(sw, StatusWord.SW_NO_ERROR, `credProtect ${credProtect}`);
      const a = decodeAuthenticateResponse(data);
      assert.ok(verifySignature(c.publicKey, authenticationSignedData(APP, 1, a.counter, CHALLENGE), a.signature));
    }
  });

  it('EdDSA and credProtect-3 credentials (discoverable or not) are not U2F key handles (6A80)', async () => {
    const d = await device();
    for (const opts of [{ alg: -8 }, { alg: -8, rk: true }, { credProtect: 3 }, { credProtect: 3, rk: true }]) {
      const c = await makeCredential(d, opts);
      assert.equal((await d.authenticate(c.id, 'check-only')).sw, StatusWord.SW_WRONG_DATA, JSON.stringify(opts));
      assert.equal((await d.authenticate(c.id)).sw, StatusWord.SW_WRONG_DATA, JSON.stringify(opts));
    }
    const level2 = await makeCredential(d, { credProtect: 2 });
    assert.equal((await d.authenticate(level2.id)).sw, StatusWord.SW_NO_ERROR, 'credProtect 2 with its ID is usable');
  });
});

describe('alwaysUv (CTAP 2.1 §7.2)', () => {
  it('disables U2F: every message answers SW_INS_NOT_SUPPORTED, key handles stay for CTAP2', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal((await d.ctap2(Uint8Array.from([0x0d, 0xa1, 0x01, 0x02])))[0], Status.CTAP2_OK); // toggleAlwaysUv
    assert.equal((await d.apdu(Uint8Array.of(0, 3, 0, 0))).sw, StatusWord.SW_INS_NOT_SUPPORTED);
    assert.equal((await d.register()).sw, StatusWord.SW_INS_NOT_SUPPORTED);
    assert.equal((await d.authenticate(r.keyHandle)).sw, StatusWord.SW_INS_NOT_SUPPORTED);
  });
});

describe('dispatch', () => {
  it('an unexpected exception becomes 6F00 and is reported', async () => {
    const errors: unknown[] = [];
    const broken: Ctap1Authenticator = {
      version: () => {
        throw new TypeError('boom');
      },
      register: async () => new Uint8Array(0),
      authenticate: async () => new Uint8Array(0),
    };
    const out = await dispatchCtap1(broken, Uint8Array.of(0, 3, 0, 0), testContext(), {
      onInternalError: (e) => errors.push(e),
    });
    assert.deepEqual(decodeResponseApdu(out).sw, StatusWord.SW_UNKNOWN);
    assert.equal(errors.length, 1);
  });

  it('the attestation certificate is a P-256 certificate', async () => {
    const d = await device();
    const r = await registered(d);
    assert.equal(
      new X509Certificate(r.attestationCertificate).publicKey.asymmetricKeyDetails?.namedCurve,
      'prime256v1',
    );
  });
});
