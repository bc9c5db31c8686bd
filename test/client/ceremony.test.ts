/**
 * WebAuthnClient rules and failures: origins and RP IDs, option checks, exclude/allow lists and
 * their chunked pre-flight, user verification, abort and timeout, CTAP errors → WebAuthn names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { WebAuthnError, type WebAuthnErrorName } from '../../src/client/errors.js';
import type { PinUvAuthToken, UserVerifier } from '../../src/client/userVerifier.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { decode, encode, type CborMap } from '../../src/encoding/cbor.js';
import { extensionsOf, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import { makeDevice, ORIGIN, patchInfo, RP_ID, randomBytes } from './device.js';

const creation = (extra: Record<string, unknown> = {}) => ({
  rp: { name: 'Demo', id: RP_ID },
  user: { id: b64u.encode(randomBytes(16)), name: 'alice', displayName: 'Alice' },
  challenge: b64u.encode(randomBytes(32)),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  authenticatorSelection: { userVerification: 'discouraged' },
  ...extra,
});
const request = (extra: Record<string, unknown> = {}) => ({
  challenge: b64u.encode(randomBytes(32)),
  userVerification: 'discouraged',
  ...extra,
});

async function rejectsWith(p: Promise<unknown>, name: WebAuthnErrorName, status?: number): Promise<WebAuthnError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WebAuthnError, `expected WebAuthnError, got ${String(e)}`);
    assert.equal(e.name, name, e.message);
    if (status !== undefined) assert.equal(e.ctapStatus, status);
    return e;
  }
  assert.fail(`expected ${name}`);
}

/** Decoded CTAP requests of one command byte. */
const requestsOf = (requests: Uint8Array[], command: number) =>
  requests.filter((r) => r[0] === command).map((r) => decode(r.subarray(1)) as CborMap);

describe('origin and RP ID', () => {
  it('refuses an origin that does not match the RP ID, and insecure origins', async () => {
    const { client } = await makeDevice();
    await rejectsWith(client.create(creation(), { origin: 'http://evil.example' }), 'SecurityError');
    await rejectsWith(client.create(creation(), { origin: 'https://evil.example' }), 'SecurityError');
    await rejectsWith(
      client.create(creation({ rp: { name: 'x' } }), { origin: 'http://example.com' }),
      'SecurityError',
    );
    await rejectsWith(client.create(creation({ rp: { name: 'x' } }), { origin: 'ftp://localhost' }), 'SecurityError');
    await rejectsWith(client.create(creation(), { origin: 'not a url' }), 'SecurityError');
    await rejectsWith(client.get(request({ rpId: 'localhost' }), { origin: 'https://evil.example' }), 'SecurityError');
  });

  it('refuses an RP ID that is not a registrable suffix of the origin', async () => {
    const { client } = await makeDevice();
    const at = (origin: string, id: string) => client.create(creation({ rp: { name: 'x', id } }), { origin });
    await rejectsWith(at('https://login.example.com', 'other.com'), 'SecurityError');
    await rejectsWith(at('https://login.example.com', 'com'), 'SecurityError');
    await rejectsWith(at('https://login.example.com', 'xample.com'), 'SecurityError');
    await rejectsWith(at('https://example.com', 'login.example.com'), 'SecurityError');
    await rejectsWith(at('http://127.0.0.1:8080', '0.0.1'), 'SecurityError');
    await rejectsWith(get(client, 'https://login.example.com', 'evil.com'), 'SecurityError');
  });

  it('accepts parent domains, localhost subdomains and the default RP ID', async () => {
    const { client } = await makeDevice();
    const ok = async (origin: string, id?: string) => {
      const r = await client.create(creation({ rp: { name: 'x', ...(id !== undefined && { id }) } }), { origin });
      const rpIdHash = parseAuthenticatorData(b64u.decode(r.response.authenticatorData)).rpIdHash;
      const { sha256 } = await import('../../src/crypto/hash.js');
      assert.deepEqual(rpIdHash, sha256(new TextEncoder().encode(id ?? new URL(origin).hostname)));
    };
    await ok('https://login.example.com', 'example.com');
    await ok('https://login.example.com');
    await ok('http://app.localhost:3000', 'localhost');
    await ok('http://127.0.0.1:8080', '127.0.0.1');
    await ok('http://localhost:5173');
  });
});

function get(client: WebAuthnClient, origin: string, rpId: string) {
  return client.get(request({ rpId }), { origin });
}

describe('option checks', () => {
  it('a challenge shorter than 16 bytes is a TypeError', async () => {
    const { client } = await makeDevice();
    await rejectsWith(
      client.create(creation({ challenge: b64u.encode(randomBytes(15)) }), { origin: ORIGIN }),
      'TypeError',
    );
    await rejectsWith(client.get(request({ challenge: b64u.encode(randomBytes(8)) }), { origin: ORIGIN }), 'TypeError');
  });

  it('user.id must be 1 to 64 bytes', async () => {
    const { client } = await makeDevice();
    await rejectsWith(
      client.create(creation({ user: { id: '', name: 'a', displayName: 'A' } }), { origin: ORIGIN }),
      'TypeError',
    );
    await rejectsWith(
      client.create(creation({ user: { id: b64u.encode(randomBytes(65)), name: 'a', displayName: 'A' } }), {
        origin: ORIGIN,
      }),
      'TypeError',
    );
    await client.create(creation({ user: { id: b64u.encode(randomBytes(64)), name: 'a', displayName: 'A' } }), {
      origin: ORIGIN,
    });
  });

  it('malformed options: missing members are TypeErrors, bad base64url an EncodingError', async () => {
    const { client } = await makeDevice();
    await rejectsWith(client.create({ ...creation(), challenge: undefined } as never, { origin: ORIGIN }), 'TypeError');
    await rejectsWith(client.create(creation({ challenge: 'not base64url!' }), { origin: ORIGIN }), 'EncodingError');
  });

  it('unsupported algorithms: NotSupportedError', async () => {
    const { client } = await makeDevice();
    await rejectsWith(
      client.create(creation({ pubKeyCredParams: [{ type: 'public-key', alg: -47 }] }), { origin: ORIGIN }),
      'NotSupportedError',
      Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM,
    );
    await rejectsWith(
      client.create(creation({ pubKeyCredParams: [{ type: 'password', alg: -7 }] }), { origin: ORIGIN }),
      'NotSupportedError',
    );
  });

  it('silent mediation cannot produce a public key credential', async () => {
    const { client } = await makeDevice();
    await rejectsWith(client.get(request(), { origin: ORIGIN, mediation: 'silent' }), 'NotAllowedError');
  });
});

describe('excludeCredentials and allowCredentials', () => {
  it('an excluded credential on the device is an InvalidStateError (after the user touches)', async () => {
    const { client, env } = await makeDevice();
    const r = await client.create(creation(), { origin: ORIGIN });
    const before = env.presence.requests.length;
    const e = await rejectsWith(
      client.create(creation({ excludeCredentials: [{ type: 'public-key', id: r.id }] }), { origin: ORIGIN }),
      'InvalidStateError',
      Status.CTAP2_ERR_CREDENTIAL_EXCLUDED,
    );
    assert.match(e.message, /CREDENTIAL_EXCLUDED/);
    assert.equal(env.presence.requests.length, before + 1, 'presence collected before revealing the match');
  });

  it('an excludeList longer than maxCredentialCountInList is pre-flighted with silent probes', async () => {
    const { client, requests } = await makeDevice();
    const r = await client.create(creation(), { origin: ORIGIN });
    const noise = Array.from({ length: 40 }, () => ({ type: 'public-key', id: b64u.encode(randomBytes(64)) }));
    requests.length = 0;
    await rejectsWith(
      client.create(creation({ excludeCredentials: [...noise, { type: 'public-key', id: r.id }] }), { origin: ORIGIN }),
      'InvalidStateError',
    );
    const probes = requestsOf(requests, 0x02);
    assert.equal(probes.length, 3, '41 IDs in chunks of 16');
    for (const p of probes) assert.equal((p.get(5) as CborMap).get('up'), false);
    assert.deepEqual(
      probes.map((p) => (p.get(3) as unknown[]).length),
      [16, 16, 9],
    );
    const mc = requestsOf(requests, 0x01);
    assert.equal(mc.length, 1);
    assert.deepEqual(
      (mc[0]!.get(5) as CborMap[])[0]!.get('id'),
      b64u.decode(r.id),
      'the real request carries the matched credential',
    );

    // No match in any chunk: the credential is created, without an excludeList.
    requests.length = 0;
    const created = await client.create(creation({ excludeCredentials: noise }), { origin: ORIGIN });
    assert.ok(created.id);
    assert.equal(requestsOf(requests, 0x01)[0]!.has(5), false);
  });

  it('no credentials: NotAllowedError (allow list and discoverable)', async () => {
    const { client } = await makeDevice();
    await rejectsWith(
      client.get(request({ allowCredentials: [{ type: 'public-key', id: b64u.encode(randomBytes(48)) }] }), {
        origin: ORIGIN,
      }),
      'NotAllowedError',
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    await rejectsWith(client.get(request(), { origin: ORIGIN }), 'NotAllowedError', Status.CTAP2_ERR_NO_CREDENTIALS);
    const noise = Array.from({ length: 40 }, () => ({ type: 'public-key', id: b64u.encode(randomBytes(64)) }));
    await rejectsWith(
      client.get(request({ allowCredentials: noise }), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    // IDs longer than maxCredentialIdLength can never be on the device.
    await rejectsWith(
      client.get(request({ allowCredentials: [{ type: 'public-key', id: b64u.encode(randomBytes(600)) }] }), {
        origin: ORIGIN,
      }),
      'NotAllowedError',
    );
  });

  it('an allowList longer than maxCredentialCountInList (40 random IDs + the real one last) finds the credential', async () => {
    const { client, requests } = await makeDevice();
    const challenge = randomBytes(32);
    const reg = await client.create(creation({ challenge: b64u.encode(challenge) }), { origin: ORIGIN });
    const { registrationInfo } = await verifyRegistrationResponse({
      response: reg as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    });
    const noise = Array.from({ length: 40 }, () => ({ type: 'public-key', id: b64u.encode(randomBytes(64)) }));
    requests.length = 0;
    const ch2 = randomBytes(32);
    const a = await client.get(
      request({ challenge: b64u.encode(ch2), allowCredentials: [...noise, { type: 'public-key', id: reg.id }] }),
      { origin: ORIGIN },
    );
    assert.equal(a.id, reg.id);
    const ga = requestsOf(requests, 0x02);
    assert.equal(ga.length, 4, 'three silent probes, then the real request');
    assert.deepEqual(
      ga.slice(0, 3).map((p) => (p.get(5) as CborMap).get('up')),
      [false, false, false],
    );
    assert.equal(ga[3]!.has(5), false, 'the real request collects presence');
    assert.equal((ga[3]!.get(3) as unknown[]).length, 1);
    const v = await verifyAuthenticationResponse({
      response: a as never,
      expectedChallenge: b64u.encode(ch2),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: registrationInfo!.credential,
      requireUserVerification: false,
    });
    assert.equal(v.verified, true);
  });

  it('an authenticator that omits credential (allowList of one, CTAP 2.1 §6.2.2): the client fills it in', async () => {
    const device = await makeDevice();
    const omitting = {
      async cbor(req: Uint8Array, opts?: { signal?: AbortSignal }) {
        const res = await device.transport.cbor(req, opts);
        if (req[0] !== 0x02 || res[0] !== 0) return res;
        const m = decode(res.subarray(1)) as CborMap;
        m.delete(1);
        return new Uint8Array([0, ...encode(m)]);
      },
    };
    const client = new WebAuthnClient(omitting);
    const r = await client.create(
      creation({ authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' } }),
      { origin: ORIGIN },
    );
    const a = await client.get(request({ allowCredentials: [{ type: 'public-key', id: r.id }] }), { origin: ORIGIN });
    assert.equal(a.id, r.id);
    // Without an allow list the credential cannot be known: the response is malformed.
    await rejectsWith(client.get(request(), { origin: ORIGIN }), 'UnknownError', Status.CTAP2_ERR_MISSING_PARAMETER);
  });

  it('a discoverable get with several accounts asks selectCredential', async () => {
    const seen: number[] = [];
    const { client } = await makeDevice({}, { selectCredential: (c) => (seen.push(c.length), 1) });
    const users = [randomBytes(16), randomBytes(16)];
    for (const id of users)
      await client.create(
        creation({
          user: { id: b64u.encode(id), name: 'n', displayName: 'N' },
          authenticatorSelection: { residentKey: 'required' },
        }),
        { origin: ORIGIN },
      );
    const a = await client.get(request(), { origin: ORIGIN });
    assert.deepEqual(seen, [2]);
    assert.ok(users.some((u) => b64u.encode(u) === a.response.userHandle));
  });
});

describe('user verification', () => {
  it('required without any way to verify: NotAllowedError, nothing sent to the device', async () => {
    const { client, requests } = await makeDevice();
    await rejectsWith(
      client.create(creation({ authenticatorSelection: { userVerification: 'required' } }), { origin: ORIGIN }),
      'NotAllowedError',
    );
    await rejectsWith(client.get(request({ userVerification: 'required' }), { origin: ORIGIN }), 'NotAllowedError');
    assert.equal(requestsOf(requests, 0x01).length + requestsOf(requests, 0x02).length, 0);
  });

  it('required with built-in UV: the uv option is sent and the UV flag verifies', async () => {
    const uv = { available: true, verify: async () => 'verified' as const };
    const { client } = await makeDevice({}, {}, { uv });
    const challenge = randomBytes(32);
    const r = await client.create(
      creation({ challenge: b64u.encode(challenge), authenticatorSelection: { userVerification: 'required' } }),
      { origin: ORIGIN },
    );
    const v = await verifyRegistrationResponse({
      response: r as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
  });

  it('with clientPin: asks the UserVerifier for an mc/ga token and sends pinUvAuthParam', async () => {
    const calls: Array<[number, string]> = [];
    const verifier: UserVerifier = {
      async getPinUvAuthToken(permissions, rpId): Promise<PinUvAuthToken> {
        calls.push([permissions, rpId]);
        return { protocol: 2, token: new Uint8Array(32).fill(7) };
      },
    };
    const device = await makeDevice();
    // A device that says it has a PIN when none is set, so the token-protected requests answer PIN_NOT_SET.
    const transport = {
      async cbor(req: Uint8Array, opts?: { signal?: AbortSignal }) {
        const res = await device.transport.cbor(req, opts);
        if (req[0] !== 0x04) return res;
        const info = decode(res.subarray(1)) as CborMap;
        (info.get(4) as CborMap).set('clientPin', true);
        return new Uint8Array([0, ...encode(info)]);
      },
    };
    const client = new WebAuthnClient(transport, { userVerifier: verifier });
    await rejectsWith(
      client.create(creation({ authenticatorSelection: { userVerification: 'required' } }), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    await rejectsWith(
      client.get(request({ userVerification: 'preferred' }), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    assert.deepEqual(calls, [
      [0x01, RP_ID],
      [0x02, RP_ID],
    ]);
    const mc = requestsOf(device.requests, 0x01)[0]!;
    assert.equal((mc.get(8) as Uint8Array).length, 32, 'protocol 2 pinUvAuthParam is the full HMAC');
    assert.equal(mc.get(9), 2);
  });
});

describe('abort and timeout', () => {
  it('an aborted signal → AbortError; the device is told to cancel', async () => {
    const { client, env, signals } = await makeDevice();
    env.presence.answer = 'hang';
    const controller = new AbortController();
    const pending = client.create(creation(), { origin: ORIGIN, signal: controller.signal });
    while (env.presence.requests.length === 0) await new Promise((r) => setImmediate(r));
    controller.abort();
    await rejectsWith(pending, 'AbortError');
    assert.equal(signals.at(-1)!.aborted, true, 'the transport signal aborts (CTAPHID_CANCEL)');
    await rejectsWith(client.get(request(), { origin: ORIGIN, signal: AbortSignal.abort() }), 'AbortError');
  });

  it('the timer expiring → NotAllowedError; timeouts are clamped into the range', async () => {
    const { client, env } = await makeDevice({}, { timeouts: { min: 20, max: 50, default: 50 } });
    env.presence.answer = 'hang';
    const e = await rejectsWith(client.create(creation({ timeout: 1 }), { origin: ORIGIN }), 'NotAllowedError');
    assert.match(e.message, /timed out after 20 ms/, 'a 1 ms timeout is clamped up to the minimum');
  });

  it('the user denying → NotAllowedError', async () => {
    const { client, env } = await makeDevice();
    env.presence.answer = 'denied';
    await rejectsWith(
      client.create(creation(), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_OPERATION_DENIED,
    );
  });
});

describe('extensions end to end', () => {
  it('credProtect reaches the authenticator; a uvRequired credential is not usable without UV', async () => {
    const { client } = await makeDevice();
    const r = await client.create(
      creation({
        extensions: {
          credentialProtectionPolicy: 'userVerificationRequired',
          enforceCredentialProtectionPolicy: true,
          credProps: true,
        },
      }),
      { origin: ORIGIN },
    );
    assert.equal(
      extensionsOf(parseAuthenticatorData(b64u.decode(r.response.authenticatorData)))?.get('credProtect'),
      3,
    );
    assert.deepEqual(r.clientExtensionResults, { credProps: { rk: false } });
    await rejectsWith(
      client.get(request({ allowCredentials: [{ type: 'public-key', id: r.id }] }), { origin: ORIGIN }),
      'NotAllowedError',
    );
  });

  it('extensions the device lacks get the spec outputs for "not supported"', async () => {
    const device = await makeDevice();
    const client = new WebAuthnClient(patchInfo(device.transport, (info) => info.set(2, ['credProtect'])));
    const r = await client.create(
      creation({
        extensions: {
          prf: { eval: { first: b64u.encode(randomBytes(32)) } },
          credBlob: b64u.encode(randomBytes(8)),
          largeBlob: { support: 'preferred' },
          minPinLength: true,
        },
      }),
      { origin: ORIGIN },
    );
    assert.deepEqual(r.clientExtensionResults, {
      credBlob: false,
      largeBlob: { supported: false },
      prf: { enabled: false },
    });
    await rejectsWith(
      client.create(creation({ extensions: { largeBlob: { support: 'required' } } }), { origin: ORIGIN }),
      'NotSupportedError',
    );
    const a = await client.get(
      request({
        allowCredentials: [{ type: 'public-key', id: r.id }],
        extensions: { getCredBlob: true, largeBlob: { read: true }, prf: {}, appid: 'https://localhost' },
      }),
      { origin: ORIGIN },
    );
    assert.deepEqual(a.clientExtensionResults, { appid: false, largeBlob: {}, prf: {} });
  });
});
