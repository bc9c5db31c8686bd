/**
 * Platform authenticators and passkey-provider profiles (src/main/profiles.ts PASSKEY_PROVIDERS):
 * seed 001's sample credential reproduced field by field with the windows-hello profile; every
 * provider verified by @simplewebauthn/server (attestation none and direct, UV required and
 * preferred); the client's authenticatorAttachment / hints handling with a platform key and a security
 * key at once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { openSoftKey, WebAuthnError, type SoftKey } from '../../src/index.js';
import { TESTING_TIMEOUTS } from '../../src/client/ceremony.js';
import type { PublicKeyCredentialCreationOptionsJSON } from '../../src/client/json.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import * as b64u from '../../src/encoding/base64url.js';
import { toHex } from '../../src/encoding/bytes.js';
import { PASSKEY_PROVIDERS } from '../../src/main/profiles.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ORIGIN, RP_ID, randomBytes } from './device.js';

const SEED = readFileSync(join(REPO_ROOT, 'test', 'client', 'fixtures', 'seed001-platform.txt'), 'utf8');

/** A JavaScript block of the seed as JSON: `byte[…]` placeholders become null, bare keys quoted. */
function seedBlock(name: string): Record<string, any> {
  const start = SEED.indexOf(`${name} = {`);
  assert.ok(start >= 0, `seed 001 has ${name}`);
  const end = SEED.indexOf('\n}\n', start);
  const js = SEED.slice(start + name.length + 3, end + 2);
  return JSON.parse(js.replace(/byte\[[^\]]*\]/g, 'null').replace(/^(\s*)([A-Za-z]+):/gm, '$1"$2":'));
}

const SEED_OPTIONS = seedBlock('publicKeyCredentialCreationOptions') as PublicKeyCredentialCreationOptionsJSON;
const SEED_CREDENTIAL = seedBlock('createdCredential');

/** The seed's creation options with the random members filled in (user.id ≤ 64 bytes, challenge ≥ 16). */
function seedCreationOptions(
  patch: Record<string, unknown> = {},
): PublicKeyCredentialCreationOptionsJSON & { challenge: string; user: { id: string } } {
  return {
    ...SEED_OPTIONS,
    user: { ...SEED_OPTIONS.user, id: b64u.encode(randomBytes(32)) },
    challenge: b64u.encode(randomBytes(32)),
    ...patch,
  };
}

const isError = (name: string) => (e: unknown) => e instanceof WebAuthnError && e.name === name;
const authData = (r: { response: { authenticatorData: string } }) =>
  parseAuthenticatorData(b64u.decode(r.response.authenticatorData));

describe('seed 001 with --profile windows-hello', () => {
  let key: SoftKey;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', profile: 'windows-hello' });
  });
  after(() => key.close());

  it('the seed creation options give a credential equal to the sample in every non-random field', async () => {
    const options = seedCreationOptions();
    const r = await key.client.create(options, { origin: ORIGIN });
    const sample = SEED_CREDENTIAL;
    const sampleAuthData = parseAuthenticatorData(b64u.decode(sample.response.authenticatorData));
    const ours = authData(r);
    assert.equal(r.authenticatorAttachment, sample.authenticatorAttachment);
    assert.equal(r.type, sample.type);
    assert.deepEqual(r.response.transports, sample.response.transports);
    assert.equal(r.response.publicKeyAlgorithm, sample.response.publicKeyAlgorithm);
    assert.equal(ours.flags, sampleAuthData.flags);
    assert.equal(ours.flags, 0x45);
    assert.equal(ours.signCount, sampleAuthData.signCount);
    assert.deepEqual(ours.rpIdHash, sampleAuthData.rpIdHash);
    const acd = ours.attestedCredentialData!;
    const sampleAcd = sampleAuthData.attestedCredentialData!;
    assert.equal(acd.credentialId.length, sampleAcd.credentialId.length);
    assert.equal(b64u.decode(r.id).length, b64u.decode(sample.id).length);
    assert.equal(toHex(acd.aaguid), toHex(sampleAcd.aaguid));
    assert.equal(toHex(acd.aaguid), '08987058cadc4b81b6e130de50dcbe96');
    // The attestation object: fmt none, empty attStmt, the same authData layout.
    const att = b64u.decode(r.response.attestationObject);
    const sampleAtt = b64u.decode(sample.response.attestationObject);
    assert.deepEqual(att.subarray(0, 20), sampleAtt.subarray(0, 20)); // {fmt: "none", attStmt: {}, authData: …
    assert.equal(att.length, sampleAtt.length);
    // The public key: an EC2 P-256 SPKI of the same length and prefix.
    const spki = b64u.decode(r.response.publicKey!);
    const sampleSpki = b64u.decode(sample.response.publicKey);
    assert.equal(spki.length, sampleSpki.length);
    assert.deepEqual(spki.subarray(0, 27), sampleSpki.subarray(0, 27));
    const clientData = JSON.parse(Buffer.from(b64u.decode(r.response.clientDataJSON)).toString('utf8'));
    const sampleClientData = JSON.parse(Buffer.from(b64u.decode(sample.response.clientDataJSON)).toString('utf8'));
    assert.deepEqual(Object.keys(clientData), Object.keys(sampleClientData));
    assert.equal(clientData.origin, sampleClientData.origin);
    assert.equal(clientData.type, sampleClientData.type);
    assert.equal(clientData.crossOrigin, sampleClientData.crossOrigin);
    // And the relying party accepts it.
    const v = await verifyRegistrationResponse({
      response: r as never,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
    });
    assert.equal(v.verified, true);
    assert.equal(v.registrationInfo.aaguid, '08987058-cadc-4b81-b6e1-30de50dcbe96');
    assert.equal(v.registrationInfo.credentialDeviceType, 'singleDevice');
  });

  it('isUserVerifyingPlatformAuthenticatorAvailable is true', async () => {
    assert.equal(await key.client.isUserVerifyingPlatformAuthenticatorAvailable(), true);
  });
});

describe('every passkey provider, verified by @simplewebauthn/server', () => {
  for (const profile of PASSKEY_PROVIDERS) {
    it(`${profile.name}: none and direct, UV required and preferred, then sign-in`, async () => {
      const key = await openSoftKey({ dataDir: ':memory:', profile: profile.name! });
      try {
        const aaguid = profile.getInfo!.aaguid!;
        const synced = profile.behaviour!.backupEligible === true;
        for (const attestation of ['none', 'direct'] as const) {
          for (const userVerification of ['required', 'preferred'] as const) {
            const options = seedCreationOptions({
              attestation,
              authenticatorSelection: { authenticatorAttachment: 'platform', userVerification },
            });
            const r = await key.client.create(options, { origin: ORIGIN });
            const reg = await verifyRegistrationResponse({
              response: r as never,
              expectedChallenge: options.challenge,
              expectedOrigin: ORIGIN,
              expectedRPID: RP_ID,
              requireUserVerification: true,
            });
            assert.equal(reg.verified, true);
            const info = reg.registrationInfo;
            assert.equal(info.fmt, 'none');
            assert.equal(info.aaguid.replaceAll('-', ''), aaguid);
            assert.equal(info.credentialBackedUp, synced);
            assert.equal(info.credentialDeviceType, synced ? 'multiDevice' : 'singleDevice');
            assert.equal(info.userVerified, true);
            assert.equal(r.authenticatorAttachment, 'platform');
            assert.deepEqual(r.response.transports, [...profile.getInfo!.transports!].sort());
            assert.equal(b64u.decode(r.id).length, profile.behaviour!.storedCredentialIdLength);

            const challenge = b64u.encode(randomBytes(32));
            // Discoverable (every provider credential is): no allowCredentials.
            const a = await key.client.get({ challenge, rpId: RP_ID, userVerification }, { origin: ORIGIN });
            assert.equal(a.authenticatorAttachment, 'platform');
            const auth = await verifyAuthenticationResponse({
              response: a as never,
              expectedChallenge: challenge,
              expectedOrigin: ORIGIN,
              expectedRPID: RP_ID,
              credential: {
                id: info.credential.id,
                publicKey: info.credential.publicKey,
                counter: info.credential.counter,
              },
              requireUserVerification: true,
            });
            assert.equal(auth.verified, true);
            assert.equal(auth.authenticationInfo.credentialBackedUp, synced);
            // Everything discoverable: the user handle comes back though none was asked to be stored.
            assert.equal(a.response.userHandle, options.user.id);
            // Remove it (control API) so the next loop's get() finds only its own.
            key.control.removeCredential(info.credential.id);
          }
        }
      } finally {
        await key.close();
      }
    });
  }
});

describe('authenticatorAttachment and hints (L3 §5.1.3 step 20, §5.4.4)', () => {
  let platform: SoftKey;
  let securityKey: SoftKey;
  before(async () => {
    platform = await openSoftKey({ dataDir: ':memory:', profile: 'icloud-keychain' });
    securityKey = await openSoftKey({ dataDir: ':memory:' });
  });
  after(async () => {
    await platform.close();
    await securityKey.close();
  });

  it('a security key alone: "platform" is refused with NotAllowedError once the timeout passes', async () => {
    await assert.rejects(
      securityKey.client.create(
        seedCreationOptions({ timeout: 300, authenticatorSelection: { authenticatorAttachment: 'platform' } }),
        { origin: ORIGIN },
      ),
      (e) => isError('NotAllowedError')(e) && /timed out/.test((e as Error).message),
    );
    assert.equal(await securityKey.client.isUserVerifyingPlatformAuthenticatorAvailable(), false);
  });

  it('a platform key alone: "cross-platform" is refused the same way', async () => {
    await assert.rejects(
      platform.client.create(
        seedCreationOptions({ timeout: 300, authenticatorSelection: { authenticatorAttachment: 'cross-platform' } }),
        { origin: ORIGIN },
      ),
      isError('NotAllowedError'),
    );
  });

  it('both at once: the attachment, the hints or the chooser decide, as a browser would', async () => {
    const both = (extra: ConstructorParameters<typeof WebAuthnClient>[1] = {}) =>
      new WebAuthnClient(platform, { authenticators: [securityKey], timeouts: TESTING_TIMEOUTS, ...extra });
    const attachmentOf = async (client: WebAuthnClient, patch: Record<string, unknown>) => {
      const options = seedCreationOptions(patch);
      const r = await client.create(options, { origin: ORIGIN });
      // The security key has no PIN or built-in UV: its credentials are made without UV.
      const v = await verifyRegistrationResponse({
        response: r as never,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: false,
      });
      assert.equal(v.verified, true);
      // The AAGUID says which authenticator made it: iCloud Keychain's, or the security key's zeroed under "none".
      assert.equal(
        v.registrationInfo.aaguid === 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
        r.authenticatorAttachment === 'platform',
      );
      return { attachment: r.authenticatorAttachment, id: r.id };
    };
    assert.equal((await attachmentOf(both(), { authenticatorSelection: {} })).attachment, 'platform');
    assert.equal(
      (await attachmentOf(both(), { authenticatorSelection: { authenticatorAttachment: 'cross-platform' } }))
        .attachment,
      'cross-platform',
    );
    assert.equal(
      (await attachmentOf(both(), { authenticatorSelection: { authenticatorAttachment: 'platform' } })).attachment,
      'platform',
    );
    assert.equal(
      (await attachmentOf(both(), { hints: ['security-key'], authenticatorSelection: {} })).attachment,
      'cross-platform',
    );
    // Hints take precedence over a contradicting authenticatorAttachment (L3 §5.4 hints).
    assert.equal(
      (
        await attachmentOf(both(), {
          hints: ['security-key'],
          authenticatorSelection: { authenticatorAttachment: 'platform' },
        })
      ).attachment,
      'cross-platform',
    );
    assert.equal(
      (await attachmentOf(both({ chooseAuthenticator: 'cross-platform' }), { authenticatorSelection: {} })).attachment,
      'cross-platform',
    );
    const seen: string[] = [];
    const chooser = both({
      chooseAuthenticator: (candidates) => {
        seen.push(...candidates.map((c) => c.attachment));
        return candidates.find((c) => c.attachment === 'cross-platform')!.index;
      },
    });
    const onKey = await attachmentOf(chooser, { authenticatorSelection: { residentKey: 'required' } });
    assert.equal(onKey.attachment, 'cross-platform');
    assert.deepEqual(seen, ['platform', 'cross-platform']);
    assert.equal(await both().isUserVerifyingPlatformAuthenticatorAvailable(), true);

    // Sign-in: with no pick given, the authenticator that holds the credential answers.
    const challenge = b64u.encode(randomBytes(32));
    const a = await both().get(
      { challenge, rpId: RP_ID, allowCredentials: [{ type: 'public-key', id: onKey.id }] },
      { origin: ORIGIN },
    );
    assert.equal(a.id, onKey.id);
    assert.equal(a.authenticatorAttachment, 'cross-platform');
    // allowCredentials naming only "internal" leaves the security key out: nothing can answer.
    await assert.rejects(
      both().get(
        {
          challenge,
          rpId: RP_ID,
          timeout: 300,
          allowCredentials: [{ type: 'public-key', id: onKey.id, transports: ['internal'] }],
        },
        { origin: ORIGIN },
      ),
      isError('NotAllowedError'),
    );
  });
});
