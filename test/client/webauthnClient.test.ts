/**
 * WebAuthnClient end to end against an in-process softkey, with @simplewebauthn/server as the
 * independent verifier of everything the client outputs.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { SettingsService, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { SOFTKEY_AAGUID } from '../../src/authenticator/config.js';
import type { RegistrationResponseJSON } from '../../src/client/json.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { toHex, utf8 } from '../../src/encoding/bytes.js';
import { decode, type CborMap } from '../../src/encoding/cbor.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { makeDevice, ORIGIN, RP_ID, randomBytes } from './device.js';

const ALGS = [
  { name: 'ES256', alg: -7 },
  { name: 'EdDSA', alg: -8 },
  { name: 'RS256', alg: -257 },
  { name: 'ES384', alg: -35 },
  { name: 'ES512', alg: -36 },
] as const;

function creationOptions(
  opts: { alg?: number; rk?: boolean; attestation?: string; challenge?: Uint8Array; userId?: Uint8Array } = {},
) {
  return {
    rp: { name: 'WebAuthn Demo', id: RP_ID },
    user: { id: b64u.encode(opts.userId ?? randomBytes(16)), name: 'Fred Porlock', displayName: 'Fred Porlock' },
    challenge: b64u.encode(opts.challenge ?? randomBytes(32)),
    pubKeyCredParams: [{ type: 'public-key', alg: opts.alg ?? -7 }],
    timeout: 60000,
    excludeCredentials: [],
    authenticatorSelection: { residentKey: opts.rk ? 'required' : 'discouraged', userVerification: 'discouraged' },
    attestation: opts.attestation ?? 'none',
  };
}

async function register(client: WebAuthnClient, opts: Parameters<typeof creationOptions>[0] = {}) {
  const challenge = opts.challenge ?? randomBytes(32);
  const response = await client.create(creationOptions({ ...opts, challenge }), { origin: ORIGIN });
  const verification = await verifyRegistrationResponse({
    response: response as never,
    expectedChallenge: b64u.encode(challenge),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: false,
    supportedAlgorithmIDs: [-7, -8, -257, -35, -36],
  });
  assert.equal(verification.verified, true);
  return { response, info: verification.registrationInfo };
}

function attestationObjectOf(r: RegistrationResponseJSON): CborMap {
  return decode(b64u.decode(r.response.attestationObject)) as CborMap;
}

describe('create → SimpleWebAuthn verifyRegistrationResponse, get → verifyAuthenticationResponse', () => {
  for (const { name, alg } of ALGS) {
    for (const rk of [false, true]) {
      for (const attestation of ['none', 'direct'] as const) {
        it(`${name}, rk=${rk}, attestation ${attestation}`, async () => {
          const { client } = await makeDevice();
          const userId = randomBytes(32);
          const { response, info } = await register(client, { alg, rk, attestation, userId });
          assert.equal(response.response.publicKeyAlgorithm, alg);
          assert.equal(info.credential.id, response.id);
          assert.deepEqual(response.clientExtensionResults, {});

          const att = attestationObjectOf(response);
          const aaguid = parseAuthenticatorData(att.get('authData') as Uint8Array).attestedCredentialData!.aaguid;
          if (attestation === 'none') {
            assert.equal(info.fmt, 'none');
            assert.equal((att.get('attStmt') as CborMap).size, 0);
            assert.equal(toHex(aaguid), '00'.repeat(16), 'none zeroes the AAGUID');
          } else {
            assert.equal(info.fmt, 'packed');
            assert.ok((att.get('attStmt') as CborMap).has('x5c'), 'packed full attestation (x5c)');
            assert.equal(toHex(aaguid), toHex(SOFTKEY_AAGUID));
            assert.equal(
              info.aaguid,
              [toHex(SOFTKEY_AAGUID)].map(
                (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
              )[0],
            );
          }

          // The SPKI publicKey is the same key as the COSE key in authData.
          const spki = createPublicKey({
            key: Buffer.from(b64u.decode(response.response.publicKey!)),
            format: 'der',
            type: 'spki',
          });
          assert.equal(
            spki.asymmetricKeyType,
            { ES256: 'ec', ES384: 'ec', ES512: 'ec', EdDSA: 'ed25519', RS256: 'rsa' }[name],
          );

          let counter = info.credential.counter;
          for (let round = 0; round < 2; round++) {
            const challenge = randomBytes(32);
            const assertion = await client.get(
              {
                challenge: b64u.encode(challenge),
                rpId: RP_ID,
                userVerification: 'discouraged',
                allowCredentials: rk ? [] : [{ type: 'public-key', id: response.id, transports: ['usb'] }],
              },
              { origin: ORIGIN },
            );
            assert.equal(assertion.id, response.id);
            if (rk) assert.equal(assertion.response.userHandle, b64u.encode(userId));
            else assert.equal(assertion.response.userHandle, undefined);
            const v = await verifyAuthenticationResponse({
              response: assertion as never,
              expectedChallenge: b64u.encode(challenge),
              expectedOrigin: ORIGIN,
              expectedRPID: RP_ID,
              credential: { id: info.credential.id, publicKey: info.credential.publicKey, counter },
              requireUserVerification: false,
            });
            assert.equal(v.verified, true);
            assert.ok(v.authenticationInfo.newCounter > counter, 'the signature counter increases');
            counter = v.authenticationInfo.newCounter;
          }
        });
      }
    }
  }

  it('attestationFormats (WebAuthn L3) reaches the device as attestationFormatsPreference (CTAP 2.3): "none" first gives fmt none', async () => {
    const { client } = await makeDevice();
    const challenge = randomBytes(32);
    const options = {
      ...creationOptions({ attestation: 'direct', challenge }),
      attestationFormats: ['none', 'packed'],
    };
    const response = await client.create(options, { origin: ORIGIN });
    assert.equal(attestationObjectOf(response).get('fmt'), 'none');
    const verification = await verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    });
    assert.equal(verification.verified, true);
    assert.equal(verification.registrationInfo?.fmt, 'none');
    const packed = await client.create(
      { ...creationOptions({ attestation: 'direct' }), attestationFormats: ['tpm', 'packed'] },
      { origin: ORIGIN },
    );
    assert.equal(attestationObjectOf(packed).get('fmt'), 'packed');
  });

  it('packed x5c with a self-signed certificate: SimpleWebAuthn v14 verifies without roots, and rejects the leaf given as its own root', async () => {
    const { client } = await makeDevice();
    const challenge = randomBytes(32);
    const response = await client.create(creationOptions({ attestation: 'direct', challenge }), { origin: ORIGIN });
    const opts = {
      response: response as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    };
    // No 'packed' roots configured → validateCertificatePath() skips path validation.
    assert.equal((await verifyRegistrationResponse(opts)).verified, true);
    const x5c = (attestationObjectOf(response).get('attStmt') as CborMap).get('x5c') as Uint8Array[];
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [new Uint8Array(x5c[0]!)] });
    try {
      // x5c + anchor would hold the same certificate twice ("found duplicate certificates").
      await assert.rejects(verifyRegistrationResponse(opts), /certificate path/);
    } finally {
      SettingsService.setRootCertificates({ identifier: 'packed', certificates: [] });
    }
  });

  it('output has exactly the seed shape (plus L3 clientExtensionResults), clientDataJSON in L3 member order', async () => {
    const { client } = await makeDevice();
    const challenge = randomBytes(32);
    const r = await client.create(creationOptions({ challenge }), { origin: ORIGIN });
    // /work/shared/seeds/001_e95d3d3c3ed55b0d.txt "createdCredential"
    const seedKeys = ['authenticatorAttachment', 'id', 'rawId', 'response', 'type'];
    const seedResponseKeys = [
      'attestationObject',
      'authenticatorData',
      'clientDataJSON',
      'publicKey',
      'publicKeyAlgorithm',
      'transports',
    ];
    assert.deepEqual(Object.keys(r).sort(), [...seedKeys, 'clientExtensionResults'].sort());
    assert.deepEqual(Object.keys(r.response).sort(), seedResponseKeys);
    assert.equal(r.type, 'public-key');
    assert.equal(r.authenticatorAttachment, 'cross-platform');
    assert.equal(r.id, r.rawId);
    assert.deepEqual(r.response.transports, ['usb']);
    assert.equal(
      utf8.decode(b64u.decode(r.response.clientDataJSON)),
      `{"type":"webauthn.create","challenge":"${b64u.encode(challenge)}","origin":"http://localhost:5173","crossOrigin":false}`,
    );
    // authenticatorData in the response is the one inside the attestation object.
    assert.equal(b64u.encode(attestationObjectOf(r).get('authData') as Uint8Array), r.response.authenticatorData);

    const a = await client.get(
      { challenge: b64u.encode(challenge), allowCredentials: [{ type: 'public-key', id: r.id }] },
      { origin: ORIGIN },
    );
    assert.deepEqual(Object.keys(a).sort(), [
      'authenticatorAttachment',
      'clientExtensionResults',
      'id',
      'rawId',
      'response',
      'type',
    ]);
    assert.deepEqual(Object.keys(a.response).sort(), ['authenticatorData', 'clientDataJSON', 'signature']);
    assert.match(
      utf8.decode(b64u.decode(a.response.clientDataJSON)),
      /^\{"type":"webauthn\.get","challenge":"[^"]+","origin":"http:\/\/localhost:5173","crossOrigin":false\}$/,
    );
  });

  it('attestation "none" can keep the AAGUID (Level 3 text) with noneAttestationAaguid: keep', async () => {
    const { client } = await makeDevice({}, { noneAttestationAaguid: 'keep' });
    const { response, info } = await register(client, { attestation: 'none' });
    assert.equal(info.fmt, 'none');
    const aaguid = parseAuthenticatorData(b64u.decode(response.response.authenticatorData)).attestedCredentialData!
      .aaguid;
    assert.equal(toHex(aaguid), toHex(SOFTKEY_AAGUID));
  });

  it('the binary form of the options works like the JSON form', async () => {
    const { client } = await makeDevice();
    const challenge = randomBytes(32);
    const r = await client.create(
      {
        rp: { name: 'Demo' },
        user: { id: randomBytes(8).buffer, name: 'u', displayName: 'U' },
        challenge,
        pubKeyCredParams: [],
        authenticatorSelection: { requireResidentKey: true },
        extensions: { credProps: true },
      },
      { origin: ORIGIN },
    );
    assert.equal(r.response.publicKeyAlgorithm, -7, 'empty pubKeyCredParams → ES256 first');
    assert.deepEqual(r.clientExtensionResults, { credProps: { rk: true } });
    const a = await client.get({ challenge: new Uint8Array(randomBytes(20)) }, { origin: ORIGIN });
    assert.equal(a.id, r.id);
  });

  it('pubKeyCredParams order decides the algorithm', async () => {
    const { client } = await makeDevice();
    const opts = {
      ...creationOptions(),
      pubKeyCredParams: [
        { type: 'public-key', alg: -8 },
        { type: 'public-key', alg: -7 },
      ],
    };
    const r = await client.create(opts, { origin: ORIGIN });
    assert.equal(r.response.publicKeyAlgorithm, -8);
  });

  it('getInfo is asked once per client', async () => {
    const { client, requests } = await makeDevice();
    await client.create(creationOptions(), { origin: ORIGIN });
    await client.create(creationOptions(), { origin: ORIGIN });
    assert.equal(requests.filter((r) => r[0] === 0x04).length, 1);
  });
});
