/**
 * authenticatorClientPIN (CTAP 2.1 §6.5) and pinUvAuthParam in makeCredential/getAssertion, through
 * dispatchCtap2 bytes, with both PIN/UV auth protocols, a clock we advance and scripted presence/UV.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Env, UserVerification } from '../../src/authenticator/env.js';
import { readPinState, updatePinState } from '../../src/authenticator/pinUvAuthToken.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinSubCommand as Sub,
  PinUvAuthTokenPermission as Perm,
  decodeClientPinResponse,
  encodeClientPinRequest,
  type ClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import {
  changePinParams,
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getPinTokenParams,
  getPinUvAuthTokenUsingUvParams,
  pinUvAuthParamFor,
  setPinParams,
} from '../../src/ctap2/hostCodec.js';
import {
  decodeGetAssertionResponse,
  encodeGetAssertionRequest,
  type GetAssertionRequest,
} from '../../src/ctap2/getAssertion.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import {
  pinHash,
  platformProtocol,
  type PinUvAuthProtocolVersion,
  type PlatformPinUvAuthProtocol,
} from '../../src/ctap2/pinUvAuthProtocol.js';
import { Status } from '../../src/ctap2/status.js';
import { concat } from '../../src/encoding/bytes.js';
import { encode, type Encodable } from '../../src/encoding/cbor.js';
import { testEnv } from '../helpers/env.js';
import { managementDevice } from './managementDevice.js';

const hash = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const PIN = '1234';
const VERSIONS: PinUvAuthProtocolVersion[] = [2, 1];

class ScriptedUv implements UserVerification {
  available = true;
  answers: Array<'verified' | 'failed' | 'timeout'> = [];
  calls = 0;
  async verify(): Promise<'verified' | 'failed' | 'timeout'> {
    this.calls++;
    return this.answers.shift() ?? 'verified';
  }
}

type TestEnv = ReturnType<typeof testEnv>;

async function device(options: { uv?: UserVerification; env?: TestEnv } = {}) {
  const d = await managementDevice({ ...(options.env && { env: options.env }), ...(options.uv && { uv: options.uv }) });
  const { auth, call, keyAgreement, info } = d;
  const env = d.env as TestEnv & Env; // the test Env passed in (MemoryStore), or the one made here
  const status = async (request: Uint8Array) => (await call(request))[0];
  const pin = async (params: ClientPinRequest) => call(encodeClientPinRequest(params));
  const pinStatus = async (params: ClientPinRequest) => (await pin(params))[0];
  const retries = async () => decodeClientPinResponse(await pin({ subCommand: Sub.getPINRetries }));
  const setPin = async (p: PlatformPinUvAuthProtocol, newPin = PIN) =>
    pinStatus(setPinParams(p, await keyAgreement(p), newPin).params);
  /** A token by getPinToken (no permissions given) or getPinUvAuthTokenUsingPinWithPermissions. */
  const token = async (
    p: PlatformPinUvAuthProtocol,
    pinText = PIN,
    permissions?: number,
    rpId?: string,
  ): Promise<Uint8Array | number> => {
    const t = await d.tokenOrStatus(p.version, permissions, rpId, pinText);
    return typeof t === 'number' ? t : t.pinUvAuthToken;
  };
  const uvToken = async (
    p: PlatformPinUvAuthProtocol,
    permissions: number,
    rpId?: string,
  ): Promise<Uint8Array | number> => {
    const ex = getPinUvAuthTokenUsingUvParams(p, await keyAgreement(p), permissions, rpId);
    const r = await pin(ex.params);
    if (r[0] !== Status.CTAP2_OK) return r[0]!;
    return decryptPinUvAuthToken(p, ex.sharedSecret, decodeClientPinResponse(r))!;
  };
  return { env, auth, call, status, pin, pinStatus, keyAgreement, retries, info, setPin, token, uvToken };
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
  clientDataHash: hash('assertion'),
  ...over,
});

/** A request authenticated with `token`: pinUvAuthParam = authenticate(token, clientDataHash). */
const mcWith = (p: PlatformPinUvAuthProtocol, token: Uint8Array, over: Partial<MakeCredentialRequest> = {}) => {
  const params = mcParams(over);
  return encodeMakeCredentialRequest({
    ...params,
    pinUvAuthParam: pinUvAuthParamFor(p, token, params.clientDataHash),
    pinUvAuthProtocol: p.version,
  });
};
const gaWith = (p: PlatformPinUvAuthProtocol, token: Uint8Array, over: Partial<GetAssertionRequest> = {}) => {
  const params = gaParams(over);
  return encodeGetAssertionRequest({
    ...params,
    pinUvAuthParam: pinUvAuthParamFor(p, token, params.clientDataHash),
    pinUvAuthProtocol: p.version,
  });
};
const flagsOf = (authData: Uint8Array) => parseAuthenticatorData(authData).flags;
const asToken = (t: Uint8Array | number): Uint8Array => {
  if (typeof t === 'number') assert.fail(`expected a token, got status 0x${t.toString(16)}`);
  return t;
};

describe('clientPIN: getPINRetries, getKeyAgreement, subcommand and decoder errors', () => {
  it('reports 8 retries and a P-256 key-agreement key for each protocol', async () => {
    const d = await device();
    assert.deepEqual(await d.retries(), { pinRetries: 8, powerCycleState: false });
    for (const v of VERSIONS) {
      const ka = await d.keyAgreement(platformProtocol(v));
      assert.equal(ka.get(1), 2);
      assert.equal(ka.get(3), -25);
      assert.equal(ka.get(-1), 1);
      assert.equal((ka.get(-2) as Uint8Array).length, 32);
      assert.equal((ka.get(-3) as Uint8Array).length, 32);
    }
    const info = await d.info();
    assert.deepEqual(info.pinUvAuthProtocols, [2, 1]);
    assert.equal(info.options?.clientPin, false);
    assert.equal(info.minPINLength, 4);
    assert.equal(info.forcePINChange, false);
  });

  it('answers missing, unsupported and malformed parameters with the spec statuses', async () => {
    const d = await device();
    assert.equal(await d.pinStatus({ subCommand: Sub.getKeyAgreement }), Status.CTAP2_ERR_MISSING_PARAMETER);
    assert.equal(
      await d.pinStatus({ subCommand: Sub.getKeyAgreement, pinUvAuthProtocol: 3 }),
      Status.CTAP1_ERR_INVALID_PARAMETER,
    );
    assert.equal(await d.pinStatus({ subCommand: 0x08, pinUvAuthProtocol: 2 }), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    assert.equal(await d.pinStatus({ subCommand: 0x42 }), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    const raw = (m: Map<number, Encodable>) =>
      d.status(concat(new Uint8Array([Command.authenticatorClientPIN]), encode(m)));
    assert.equal(await raw(new Map([[1, 2]])), Status.CTAP2_ERR_MISSING_PARAMETER, 'no subCommand');
    assert.equal(
      await raw(
        new Map<number, Encodable>([
          [1, 2],
          [2, 'two'],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
    );
    assert.equal(
      await raw(
        new Map<number, Encodable>([
          [1, 2],
          [2, 3],
          [3, new Uint8Array(2)],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'keyAgreement not a map',
    );
    assert.equal(
      await raw(
        new Map<number, Encodable>([
          [1, 2],
          [2, 9],
          [9, -1],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'negative permissions',
    );
    assert.equal(
      await raw(
        new Map<number, Encodable>([
          [1, 2],
          [2, 9],
          [10, 7],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'rpId not text',
    );
    assert.equal(
      await d.status(new Uint8Array([Command.authenticatorClientPIN])),
      Status.CTAP2_ERR_INVALID_CBOR,
      'no parameters at all',
    );
  });

  it('never answers CTAP1_ERR_OTHER, whatever the request map holds (fast-check)', async () => {
    const d = await device();
    await d.setPin(platformProtocol(2));
    const value: fc.Arbitrary<Encodable> = fc.oneof(
      fc.integer({ min: -5, max: 300 }),
      fc.uint8Array({ maxLength: 90 }),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(
        new Map<number, Encodable>([
          [1, 2],
          [3, -25],
          [-1, 1],
          [-2, new Uint8Array(32)],
          [-3, new Uint8Array(32)],
        ]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10 }),
        fc.dictionary(fc.constantFrom('1', '3', '4', '5', '6', '9', '10'), value),
        async (sub, members) => {
          const m = new Map<number, Encodable>([[2, sub]]);
          for (const [k, v] of Object.entries(members)) m.set(Number(k), v);
          const r = await d.call(concat(new Uint8Array([Command.authenticatorClientPIN]), encode(m)));
          assert.notEqual(r[0], Status.CTAP1_ERR_OTHER);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('clientPIN: setPIN', () => {
  for (const v of VERSIONS) {
    it(`sets a PIN with protocol ${v}; getInfo then reports clientPin: true`, async () => {
      const d = await device();
      const p = platformProtocol(v);
      assert.equal(await d.setPin(p), Status.CTAP2_OK);
      assert.equal((await d.info()).options?.clientPin, true);
      assert.deepEqual(readPinState(d.env.store).pinHash, pinHash(PIN));
      assert.equal(readPinState(d.env.store).pinCodePointLength, 4);
      // A second setPIN is refused ("If a PIN has already been set ... CTAP2_ERR_PIN_AUTH_INVALID").
      assert.equal(await d.setPin(p, '5678'), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      assert.equal(asToken(await d.token(p)).length, 32);
    });
  }

  it('enforces the PIN policy: 4 code points, 63 bytes, UTF-8 in NFC, minPINLength', async () => {
    const d = await device();
    const p = platformProtocol(2);
    /** setPIN with a raw paddedNewPin, bypassing the platform's own normalisation. */
    const rawSetPin = async (padded: Uint8Array) => {
      const { keyAgreement, sharedSecret } = p.encapsulate(await d.keyAgreement(p));
      const newPinEnc = p.encrypt(sharedSecret, padded);
      return d.pinStatus({
        pinUvAuthProtocol: 2,
        subCommand: Sub.setPIN,
        keyAgreement,
        newPinEnc,
        pinUvAuthParam: p.authenticate(sharedSecret, newPinEnc),
      });
    };
    const pad = (bytes: Uint8Array, length = 64) => {
      const out = new Uint8Array(length);
      out.set(bytes);
      return out;
    };
    assert.equal(await d.setPin(p, '123'), Status.CTAP2_ERR_PIN_POLICY_VIOLATION);
    assert.equal(
      await rawSetPin(pad(new Uint8Array(64).fill(0x31))),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
      '64 bytes',
    );
    assert.equal(
      await rawSetPin(pad(new Uint8Array([0x31, 0x32, 0xff, 0x33, 0x34]))),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
      'not UTF-8',
    );
    assert.equal(
      await rawSetPin(pad(new TextEncoder().encode('e\u0301e\u0301'))),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
      'not NFC',
    );
    assert.equal(
      await rawSetPin(pad(new TextEncoder().encode('1234'), 48)),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'paddedNewPin of 48 bytes',
    );
    assert.equal(readPinState(d.env.store).pinHash, undefined);
    // Four emoji are four code points (16 bytes): long enough.
    assert.equal(await d.setPin(p, '\u{1F600}\u{1F601}\u{1F602}\u{1F603}'), Status.CTAP2_OK);

    const e = await device();
    updatePinState(e.env.store, (s) => void (s.minPINLength = 6));
    assert.equal((await e.info()).minPINLength, 6);
    assert.equal(await e.setPin(p, '12345'), Status.CTAP2_ERR_PIN_POLICY_VIOLATION);
    assert.equal(await e.setPin(p, 'x'.repeat(63)), Status.CTAP2_OK);
  });

  it('checks parameters, the key-agreement key and pinUvAuthParam', async () => {
    const d = await device();
    const p = platformProtocol(1);
    const { params } = setPinParams(p, await d.keyAgreement(p), PIN);
    for (const member of ['pinUvAuthProtocol', 'keyAgreement', 'pinUvAuthParam', 'newPinEnc'] as const) {
      const partial = { ...params };
      delete partial[member];
      assert.equal(await d.pinStatus(partial), Status.CTAP2_ERR_MISSING_PARAMETER, member);
    }
    assert.equal(await d.pinStatus({ ...params, pinUvAuthProtocol: 7 }), Status.CTAP1_ERR_INVALID_PARAMETER);
    const offCurve = new Map(params.keyAgreement);
    offCurve.set(-3, new Uint8Array(32).fill(7));
    assert.equal(await d.pinStatus({ ...params, keyAgreement: offCurve }), Status.CTAP1_ERR_INVALID_PARAMETER);
    const badAuth = params.pinUvAuthParam!.slice();
    badAuth[0]! ^= 1;
    assert.equal(await d.pinStatus({ ...params, pinUvAuthParam: badAuth }), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    assert.equal(
      await d.pinStatus({ ...params, pinUvAuthParam: new Uint8Array(32) }),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
      'protocol 1 takes 16-byte tags',
    );
    assert.equal(await d.pinStatus(params), Status.CTAP2_OK);
  });
});

describe('clientPIN: wrong PINs, retries and blocking', () => {
  it('decrements and persists pinRetries, and regenerates the key-agreement key, on a wrong PIN', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    const before = await d.keyAgreement(p);
    assert.equal(await d.token(p, '0000'), Status.CTAP2_ERR_PIN_INVALID);
    assert.notDeepEqual((await d.keyAgreement(p)).get(-2), before.get(-2), 'regenerated');
    assert.equal((await d.retries()).pinRetries, 7);
    // A new authenticator over the same store sees the decrement.
    const again = await device({ env: { ...testEnv(), store: d.env.store, vault: d.env.vault } });
    assert.equal((await again.retries()).pinRetries, 7);
    // The old key-agreement key no longer decrypts: even the right PIN counts as wrong.
    const stale = getPinTokenParams(p, before, PIN);
    assert.equal(await d.pinStatus(stale.params), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal((await d.retries()).pinRetries, 6);
    // The right PIN restores them.
    asToken(await d.token(p));
    assert.equal((await d.retries()).pinRetries, 8);
  });

  it('persists the decrement before comparing the PIN hash', async () => {
    const d = await device();
    const p = platformProtocol(1);
    await d.setPin(p);
    const writes: number[] = [];
    const setState = d.env.store.setState.bind(d.env.store);
    d.env.store.setState = <T>(key: string, value: T | undefined) => {
      if (key === 'clientPin') writes.push((value as { pinRetries: number }).pinRetries);
      setState(key, value);
    };
    asToken(await d.token(p));
    assert.deepEqual(writes, [7, 8], 'decremented, then restored after the match');
  });

  it('3 wrong PINs in a power cycle → PIN_AUTH_BLOCKED until a power cycle', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    assert.equal(await d.token(p, '0000'), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(await d.token(p, '0000'), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(await d.token(p, '0000'), Status.CTAP2_ERR_PIN_AUTH_BLOCKED);
    assert.equal(await d.token(p, PIN), Status.CTAP2_ERR_PIN_AUTH_BLOCKED, 'even the right PIN');
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '5678').params),
      Status.CTAP2_ERR_PIN_AUTH_BLOCKED,
    );
    assert.deepEqual(await d.retries(), { pinRetries: 5, powerCycleState: true });
    d.auth.powerCycle();
    assert.deepEqual(await d.retries(), { pinRetries: 5, powerCycleState: false });
    asToken(await d.token(p, PIN));
    assert.equal((await d.retries()).pinRetries, 8);
  });

  it('8 wrong PINs in all → PIN_BLOCKED, which only authenticatorReset clears', async () => {
    const d = await device();
    const p = platformProtocol(1);
    await d.setPin(p);
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) {
      if (i > 0 && i % 3 === 0) d.auth.powerCycle();
      answers.push((await d.token(p, '9999')) as number);
    }
    const {
      CTAP2_ERR_PIN_INVALID: INVALID,
      CTAP2_ERR_PIN_AUTH_BLOCKED: AUTH_BLOCKED,
      CTAP2_ERR_PIN_BLOCKED: BLOCKED,
    } = Status;
    assert.deepEqual(answers, [INVALID, INVALID, AUTH_BLOCKED, INVALID, INVALID, AUTH_BLOCKED, INVALID, BLOCKED]);
    d.auth.powerCycle();
    assert.equal(await d.token(p, PIN), Status.CTAP2_ERR_PIN_BLOCKED);
    assert.equal(await d.token(p, PIN, Perm.ga, 'example.com'), Status.CTAP2_ERR_PIN_BLOCKED);
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '5678').params),
      Status.CTAP2_ERR_PIN_BLOCKED,
    );
    assert.equal((await d.retries()).pinRetries, 0);
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.deepEqual(await d.retries(), { pinRetries: 8, powerCycleState: false });
    assert.equal((await d.info()).options?.clientPin, false);
    assert.equal(await d.setPin(p, '4321'), Status.CTAP2_OK);
  });
});

describe('clientPIN: changePIN and forcePINChange', () => {
  for (const v of VERSIONS) {
    it(`changes the PIN with protocol ${v} and invalidates earlier tokens`, async () => {
      const d = await device();
      const p = platformProtocol(v);
      await d.setPin(p);
      const old = asToken(await d.token(p));
      assert.equal(
        await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '24680').params),
        Status.CTAP2_OK,
      );
      assert.equal(await d.token(p, PIN), Status.CTAP2_ERR_PIN_INVALID);
      asToken(await d.token(p, '24680'));
      assert.equal(await d.status(mcWith(p, old)), Status.CTAP2_ERR_PIN_AUTH_INVALID, 'a token from before the change');
      assert.equal(readPinState(d.env.store).pinCodePointLength, 5);
    });
  }

  it('refuses a wrong current PIN, a bad pinUvAuthParam, a short new PIN, and no PIN at all', async () => {
    const d = await device();
    const p = platformProtocol(2);
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '5678').params),
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    await d.setPin(p);
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), '0000', '5678').params),
      Status.CTAP2_ERR_PIN_INVALID,
    );
    assert.equal((await d.retries()).pinRetries, 7);
    const { params } = changePinParams(p, await d.keyAgreement(p), PIN, '5678');
    assert.equal(
      await d.pinStatus({ ...params, pinUvAuthParam: new Uint8Array(32) }),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
    );
    assert.equal((await d.retries()).pinRetries, 7, 'a bad pinUvAuthParam is refused before the PIN is tried');
    const partial = { ...params };
    delete partial.pinHashEnc;
    assert.equal(await d.pinStatus(partial), Status.CTAP2_ERR_MISSING_PARAMETER);
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '56').params),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal((await d.retries()).pinRetries, 8, 'the current PIN was right');
    asToken(await d.token(p, PIN));
  });

  it('forcePINChange: tokens are refused until changePIN sets a different PIN', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    updatePinState(d.env.store, (s) => void (s.forcePINChange = true));
    assert.equal((await d.info()).forcePINChange, true);
    // §6.5.5.7.1 getPinToken: PIN_INVALID (as OpenSK and trussed answer; python-fido2's device tests expect it);
    // §6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions: PIN_POLICY_VIOLATION.
    assert.equal(await d.token(p), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(await d.token(p, PIN, Perm.mc, 'example.com'), Status.CTAP2_ERR_PIN_POLICY_VIOLATION);
    assert.equal((await d.retries()).pinRetries, 8, 'the PIN itself was right');
    assert.equal(
      await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, PIN).params),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal(await d.pinStatus(changePinParams(p, await d.keyAgreement(p), PIN, '97531').params), Status.CTAP2_OK);
    assert.equal((await d.info()).forcePINChange, false);
    asToken(await d.token(p, '97531'));
  });
});

describe('pinUvAuthToken permissions', () => {
  it('refuses zero, only-undefined and unauthorized permissions before trying the PIN', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    assert.equal(await d.token(p, PIN, 0), Status.CTAP1_ERR_INVALID_PARAMETER);
    assert.equal(await d.token(p, PIN, 0x80), Status.CTAP1_ERR_INVALID_PARAMETER);
    // bioEnroll is not offered; cm, lbw and acfg are (credentialManagement, largeBlobs, authenticatorConfig).
    for (const perm of [Perm.be, Perm.mc | Perm.be]) {
      assert.equal(
        await d.token(p, PIN, perm, 'example.com'),
        Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION,
        `permissions 0x${perm.toString(16)}`,
      );
    }
    assert.equal((await d.retries()).pinRetries, 8);
    // getPinToken takes neither permissions nor rpId.
    const ka = await d.keyAgreement(p);
    const legacy = getPinTokenParams(p, ka, PIN).params;
    assert.equal(await d.pinStatus({ ...legacy, permissions: Perm.mc }), Status.CTAP1_ERR_INVALID_PARAMETER);
    assert.equal(await d.pinStatus({ ...legacy, rpId: 'example.com' }), Status.CTAP1_ERR_INVALID_PARAMETER);
    // Undefined bits beside defined ones are ignored.
    const t = asToken(await d.token(p, PIN, 0x80 | Perm.ga, 'example.com'));
    assert.equal(await d.status(gaWith(p, t)), Status.CTAP2_ERR_NO_CREDENTIALS, 'the token is accepted');
  });

  it('a token without ga cannot get an assertion; without mc cannot make a credential', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    assert.equal(await d.status(encodeMakeCredentialRequest(mcParams())), Status.CTAP2_OK);
    const mcOnly = asToken(await d.token(p, PIN, Perm.mc, 'example.com'));
    assert.equal(await d.status(gaWith(p, mcOnly)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    const gaOnly = asToken(await d.token(p, PIN, Perm.ga, 'example.com'));
    assert.equal(await d.status(mcWith(p, gaOnly)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('a token bound to RP A is refused for RP B; getPinToken tokens bind at first use', async () => {
    const d = await device();
    const p = platformProtocol(1);
    await d.setPin(p);
    const boundA = asToken(await d.token(p, PIN, Perm.mc | Perm.ga, 'a.example'));
    assert.equal(await d.status(mcWith(p, boundA, { rp: { id: 'b.example' } })), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    assert.equal(await d.status(mcWith(p, boundA, { rp: { id: 'a.example' } })), Status.CTAP2_OK);

    const legacy = asToken(await d.token(p));
    // getAssertion with up=false does not use up the token, so the binding can be watched.
    assert.equal(
      await d.status(gaWith(p, legacy, { rpId: 'a.example', options: { up: false } })),
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    assert.equal(
      await d.status(gaWith(p, legacy, { rpId: 'b.example', options: { up: false } })),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
    );
    assert.equal(
      await d.status(gaWith(p, legacy, { rpId: 'a.example', options: { up: false } })),
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
  });
});

describe('pinUvAuthParam in makeCredential and getAssertion', () => {
  for (const v of VERSIONS) {
    it(`a valid token (protocol ${v}) sets UV; user details then appear in assertions`, async () => {
      const d = await device();
      const p = platformProtocol(v);
      await d.setPin(p);
      const t1 = asToken(await d.token(p, PIN, Perm.mc, 'example.com'));
      const made = decodeMakeCredentialResponse(await d.call(mcWith(p, t1, { options: { rk: true } })));
      assert.equal(flagsOf(made.authData) & (Flag.UP | Flag.UV), Flag.UP | Flag.UV);
      assert.equal(d.env.presence.requests.length, 1, 'a PIN token does not stand for presence');

      const t2 = asToken(await d.token(p));
      const a = decodeGetAssertionResponse(await d.call(gaWith(p, t2)));
      assert.equal(flagsOf(a.authData) & (Flag.UP | Flag.UV), Flag.UP | Flag.UV);
      assert.equal(a.user?.name, 'alice', 'user details after UV');
      // Without a token: no UV flag and no user details, but it works.
      const plain = decodeGetAssertionResponse(await d.call(encodeGetAssertionRequest(gaParams())));
      assert.equal(flagsOf(plain.authData) & Flag.UV, 0);
      assert.equal(plain.user?.name, undefined);
    });
  }

  it('the token is used up by an operation with user presence (cached UP and UV are cleared)', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    const t = asToken(await d.token(p));
    assert.equal(await d.status(mcWith(p, t)), Status.CTAP2_OK);
    assert.equal(await d.status(mcWith(p, t)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    assert.equal(await d.status(gaWith(p, t)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it("any operation with user presence clears an in-use token's cached UP and UV (step 14.4)", async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    const t = asToken(await d.token(p));
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams())),
      Status.CTAP2_OK,
      'an operation without the token',
    );
    assert.equal(await d.status(gaWith(p, t, { options: { up: false } })), Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('refuses a wrong pinUvAuthParam, a missing or unsupported protocol, and a protocol mismatch', async () => {
    const d = await device();
    const p2 = platformProtocol(2);
    await d.setPin(p2);
    const t = asToken(await d.token(p2));
    const params = mcParams();
    const param = pinUvAuthParamFor(p2, t, params.clientDataHash);
    assert.equal(
      await d.status(encodeMakeCredentialRequest({ ...params, pinUvAuthParam: param })),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
    assert.equal(
      await d.status(encodeMakeCredentialRequest({ ...params, pinUvAuthParam: param, pinUvAuthProtocol: 3 })),
      Status.CTAP1_ERR_INVALID_PARAMETER,
    );
    assert.equal(
      await d.status(
        encodeMakeCredentialRequest({ ...params, pinUvAuthParam: param.subarray(0, 16), pinUvAuthProtocol: 1 }),
      ),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
      'protocol 1 has its own token',
    );
    const other = pinUvAuthParamFor(p2, t, hash('other client data'));
    assert.equal(
      await d.status(encodeMakeCredentialRequest({ ...params, pinUvAuthParam: other, pinUvAuthProtocol: 2 })),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
    );
    assert.equal(
      await d.status(
        encodeGetAssertionRequest({ ...gaParams(), pinUvAuthParam: new Uint8Array(32), pinUvAuthProtocol: 2 }),
      ),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
    );
    assert.equal(
      await d.status(encodeMakeCredentialRequest({ ...params, pinUvAuthParam: param, pinUvAuthProtocol: 2 })),
      Status.CTAP2_OK,
      'the token itself is still good',
    );
  });

  it('without a PIN (and no built-in UV) a pinUvAuthParam answers PIN_NOT_SET', async () => {
    const d = await device();
    assert.equal(
      await d.status(
        encodeMakeCredentialRequest({ ...mcParams(), pinUvAuthParam: new Uint8Array(16), pinUvAuthProtocol: 1 }),
      ),
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    assert.equal(
      await d.status(
        encodeGetAssertionRequest({ ...gaParams(), pinUvAuthParam: new Uint8Array(32), pinUvAuthProtocol: 2 }),
      ),
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
  });

  it('zero-length probe: touch, then PIN_NOT_SET or PIN_INVALID; no touch → OPERATION_DENIED', async () => {
    const d = await device();
    const probeMc = encodeMakeCredentialRequest({ ...mcParams(), pinUvAuthParam: new Uint8Array(0) });
    const probeGa = encodeGetAssertionRequest({ ...gaParams(), pinUvAuthParam: new Uint8Array(0) });
    assert.equal(await d.status(probeMc), Status.CTAP2_ERR_PIN_NOT_SET);
    assert.equal(await d.status(probeGa), Status.CTAP2_ERR_PIN_NOT_SET);
    await d.setPin(platformProtocol(2));
    assert.equal(await d.status(probeMc), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(await d.status(probeGa), Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(d.env.presence.requests.length, 4);
    d.env.presence.answer = 'timeout';
    assert.equal(await d.status(probeMc), Status.CTAP2_ERR_OPERATION_DENIED);
    d.env.presence.answer = 'denied';
    assert.equal(await d.status(probeGa), Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('with a PIN set: rk needs a token (PUAT_REQUIRED); a non-discoverable credential does not (makeCredUvNotRqd)', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    assert.equal((await d.info()).options?.makeCredUvNotRqd, true);
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ options: { rk: true } }))),
      Status.CTAP2_ERR_PUAT_REQUIRED,
    );
    const made = decodeMakeCredentialResponse(await d.call(encodeMakeCredentialRequest(mcParams())));
    assert.equal(flagsOf(made.authData) & (Flag.UP | Flag.UV), Flag.UP);
    const t = asToken(await d.token(p, PIN, Perm.mc, 'example.com'));
    assert.equal(await d.status(mcWith(p, t, { options: { rk: true } })), Status.CTAP2_OK);
  });

  it('a token stops being usable 30 s after issue if unused, and 10 min after issue in any case', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    const unused = asToken(await d.token(p));
    d.env.clock.advance(30_001);
    assert.equal(await d.status(gaWith(p, unused, { options: { up: false } })), Status.CTAP2_ERR_PIN_AUTH_INVALID);

    const used = asToken(await d.token(p));
    d.env.clock.advance(10_000);
    assert.equal(
      await d.status(gaWith(p, used, { options: { up: false } })),
      Status.CTAP2_ERR_NO_CREDENTIALS,
      'used within 30 s',
    );
    d.env.clock.advance(5 * 60_000);
    assert.equal(
      await d.status(gaWith(p, used, { options: { up: false } })),
      Status.CTAP2_ERR_NO_CREDENTIALS,
      'still in use',
    );
    d.env.clock.advance(5 * 60_000);
    assert.equal(
      await d.status(gaWith(p, used, { options: { up: false } })),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
      'past 10 minutes',
    );
  });

  it('a power cycle and authenticatorReset invalidate tokens', async () => {
    const d = await device();
    const p = platformProtocol(2);
    await d.setPin(p);
    const t = asToken(await d.token(p));
    d.auth.powerCycle();
    assert.equal(await d.status(mcWith(p, t)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    const t2 = asToken(await d.token(p));
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.equal(await d.status(mcWith(p, t2)), Status.CTAP2_ERR_PIN_NOT_SET, 'no PIN after reset');
  });
});

describe('built-in user verification (UserVerification port)', () => {
  it('without built-in UV, getPinUvAuthTokenUsingUvWithPermissions and getUVRetries are invalid subcommands', async () => {
    const d = await device();
    const p = platformProtocol(2);
    assert.equal(await d.uvToken(p, Perm.mc, 'example.com'), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    assert.equal(await d.pinStatus({ subCommand: Sub.getUVRetries }), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    assert.equal((await d.info()).options?.uv, undefined);
  });

  it('built-in UV that is not enabled: NOT_ALLOWED', async () => {
    const uv = new ScriptedUv();
    uv.available = false;
    const d = await device({ uv });
    assert.equal((await d.info()).options?.uv, false);
    assert.equal(await d.uvToken(platformProtocol(2), Perm.mc, 'example.com'), Status.CTAP2_ERR_NOT_ALLOWED);
    assert.deepEqual(decodeClientPinResponse(await d.pin({ subCommand: Sub.getUVRetries })), { uvRetries: 8 });
    assert.equal(uv.calls, 0);
  });

  for (const v of VERSIONS) {
    it(`a UV token (protocol ${v}) stands for UV and presence: rk credential without a touch`, async () => {
      const uv = new ScriptedUv();
      const d = await device({ uv });
      const p = platformProtocol(v);
      assert.equal((await d.info()).options?.uv, true);
      assert.equal(await d.uvToken(p, 0, 'example.com'), Status.CTAP1_ERR_INVALID_PARAMETER);
      assert.equal(await d.uvToken(p, Perm.be), Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
      const t = asToken(await d.uvToken(p, Perm.mc | Perm.ga, 'example.com'));
      assert.equal(uv.calls, 1);
      const made = decodeMakeCredentialResponse(await d.call(mcWith(p, t, { options: { rk: true } })));
      assert.equal(flagsOf(made.authData) & (Flag.UP | Flag.UV), Flag.UP | Flag.UV);
      assert.equal(d.env.presence.requests.length, 0, 'the userPresent flag answered for the touch');
      // The flags were used up: the next operation needs a new token.
      assert.equal(await d.status(gaWith(p, t)), Status.CTAP2_ERR_PIN_AUTH_INVALID);
    });
  }

  it('the userPresent flag lapses after 30 s: then the user is asked to touch', async () => {
    const d = await device({ uv: new ScriptedUv() });
    const p = platformProtocol(2);
    const made = decodeMakeCredentialResponse(await d.call(encodeMakeCredentialRequest(mcParams())));
    const allowList = [
      { type: 'public-key', id: parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId },
    ];
    const t = asToken(await d.uvToken(p, Perm.ga, 'example.com'));
    // A first use with up=false keeps the token in use past the initial 30 s.
    assert.equal(await d.status(gaWith(p, t, { options: { up: false } })), Status.CTAP2_ERR_NO_CREDENTIALS);
    d.env.clock.advance(30_001);
    assert.equal(
      await d.status(gaWith(p, t, { options: { up: false }, allowList })),
      Status.CTAP2_OK,
      'still in use, no touch',
    );
    const before = d.env.presence.requests.length;
    assert.equal(d.env.presence.requests.length, before);
    assert.equal(await d.status(gaWith(p, t, { allowList })), Status.CTAP2_OK);
    assert.equal(d.env.presence.requests.length, before + 1, 'asked to touch');
  });

  it('failed UV decrements persisted uvRetries: UV_INVALID, then UV_BLOCKED at 0; timeout → USER_ACTION_TIMEOUT', async () => {
    const uv = new ScriptedUv();
    const d = await device({ uv });
    const p = platformProtocol(2);
    uv.answers = ['timeout'];
    assert.equal(await d.uvToken(p, Perm.ga, 'example.com'), Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    uv.answers = ['failed', 'failed'];
    assert.equal(await d.uvToken(p, Perm.ga, 'example.com'), Status.CTAP2_ERR_UV_INVALID);
    assert.equal(await d.uvToken(p, Perm.ga, 'example.com'), Status.CTAP2_ERR_UV_INVALID);
    assert.deepEqual(decodeClientPinResponse(await d.pin({ subCommand: Sub.getUVRetries })), { uvRetries: 6 });
    const again = await device({ env: { ...testEnv(), store: d.env.store, vault: d.env.vault }, uv });
    assert.deepEqual(decodeClientPinResponse(await again.pin({ subCommand: Sub.getUVRetries })), { uvRetries: 6 });
    asToken(await d.uvToken(p, Perm.ga, 'example.com'));
    assert.equal(readPinState(d.env.store).uvRetries, 8, 'success restores uvRetries');
    uv.answers = Array(8).fill('failed');
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await d.uvToken(p, Perm.ga, 'example.com'));
    assert.equal(results.at(-1), Status.CTAP2_ERR_UV_BLOCKED);
    const calls = uv.calls;
    assert.equal(await d.uvToken(p, Perm.ga, 'example.com'), Status.CTAP2_ERR_UV_BLOCKED);
    assert.equal(uv.calls, calls, 'blocked without asking');
    // The "uv" option of getAssertion is blocked too.
    assert.equal(
      await d.status(encodeGetAssertionRequest(gaParams({ options: { uv: true } }))),
      Status.CTAP2_ERR_UV_BLOCKED,
    );
  });

  it('the "uv" option uses built-in UV, which also counts as presence; rk without UV is refused', async () => {
    const uv = new ScriptedUv();
    const d = await device({ uv });
    assert.equal(
      await d.status(encodeMakeCredentialRequest(mcParams({ options: { rk: true } }))),
      Status.CTAP2_ERR_OPERATION_DENIED,
      'protected by UV, no PIN',
    );
    const made = decodeMakeCredentialResponse(
      await d.call(encodeMakeCredentialRequest(mcParams({ options: { rk: true, uv: true } }))),
    );
    assert.equal(flagsOf(made.authData) & (Flag.UP | Flag.UV), Flag.UP | Flag.UV);
    const a = decodeGetAssertionResponse(await d.call(encodeGetAssertionRequest(gaParams({ options: { uv: true } }))));
    assert.equal(flagsOf(a.authData) & (Flag.UP | Flag.UV), Flag.UP | Flag.UV);
    assert.equal(d.env.presence.requests.length, 0);
    assert.equal(uv.calls, 2);
    uv.answers = ['failed'];
    assert.equal(
      await d.status(encodeGetAssertionRequest(gaParams({ options: { uv: true } }))),
      Status.CTAP2_ERR_OPERATION_DENIED,
    );
  });
});
