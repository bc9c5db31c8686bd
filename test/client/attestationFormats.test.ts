/**
 * Every attestation format of WebAuthn L3 §8 that softkey emits, made by an in-process softkey
 * (openSoftKey, format chosen per key and per ceremony through key.control) and verified by
 * @simplewebauthn/server v14 with the device's exported root as its only trust anchor.
 * SimpleWebAuthn has no compound verifier (§8.9), so each statement inside a compound one is
 * verified on its own; its android-key and apple verifiers compare EC points only, so android-key
 * RS256/EdDSA is checked with @peculiar/x509, @peculiar/asn1-android and node:crypto instead.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { KeyDescription, id_ce_keyDescription } from '@peculiar/asn1-android';
import { SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { AttestationMode } from '../../src/authenticator/config.js';
import type { RegistrationResponseJSON } from '../../src/client/json.js';
import * as b64u from '../../src/encoding/base64url.js';
import { concat, equal, toHex, utf8 } from '../../src/encoding/bytes.js';
import { decode, encode, type CborMap, type CborValue } from '../../src/encoding/cbor.js';
import { sha256 } from '../../src/crypto/hash.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { openSoftKey, type SoftKey } from '../../src/index.js';

const ORIGIN = 'https://example.test';
const RP_ID = 'example.test';
const IDENTIFIERS = ['packed', 'fido-u2f', 'tpm', 'android-key', 'android-safetynet', 'apple'] as const;
const ALG = { ES256: -7, EdDSA: -8, RS256: -257 } as const;
type AlgName = keyof typeof ALG;

/** Which credential algorithms SimpleWebAuthn verifies for each format (see the file comment). */
const MATRIX: [AttestationMode, string, AlgName[]][] = [
  ['packed-chain', 'packed', ['ES256', 'EdDSA', 'RS256']],
  ['self', 'packed', ['ES256', 'EdDSA', 'RS256']],
  ['none', 'none', ['ES256', 'EdDSA', 'RS256']],
  ['fido-u2f', 'fido-u2f', ['ES256']],
  ['tpm', 'tpm', ['ES256', 'RS256']],
  ['android-key', 'android-key', ['ES256']],
  ['android-safetynet', 'android-safetynet', ['ES256', 'EdDSA', 'RS256']],
  ['apple', 'apple', ['ES256']],
];

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function options(alg: number, challenge: Uint8Array) {
  return {
    rp: { name: 'Example', id: RP_ID },
    user: { id: b64u.encode(random(16)), name: 'alice', displayName: 'Alice' },
    challenge: b64u.encode(challenge),
    pubKeyCredParams: [{ type: 'public-key', alg }],
    authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' },
    attestation: 'direct',
  } as never;
}

async function create(key: SoftKey, alg: number) {
  const challenge = random(32);
  const response = await key.client.create(options(alg, challenge), { origin: ORIGIN });
  return { response, challenge };
}

function verifyWithSimpleWebAuthn(response: RegistrationResponseJSON, challenge: Uint8Array) {
  return verifyRegistrationResponse({
    response: response as never,
    expectedChallenge: b64u.encode(challenge),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: false,
    supportedAlgorithmIDs: [ALG.ES256, ALG.EdDSA, ALG.RS256],
  });
}

// A compound attestationObject nests six deep (attStmt → statement → attStmt → x5c → certificate).
const attestationObjectOf = (r: RegistrationResponseJSON) =>
  decode(b64u.decode(r.response.attestationObject), 8) as CborMap;
const withAttestationObject = (r: RegistrationResponseJSON, ao: CborMap): RegistrationResponseJSON => ({
  ...r,
  response: { ...r.response, attestationObject: b64u.encode(encode(ao)) },
});

describe("attestation formats (WebAuthn L3 §8) verified by @simplewebauthn/server with softkey's exported root", () => {
  let key: SoftKey;
  let rootPem: string;
  const saved = new Map<(typeof IDENTIFIERS)[number], string[]>();
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto', attestation: 'packed-chain' });
    const { roots } = await key.control.attestationRoots();
    assert.equal(roots.length, 1);
    rootPem = roots[0]!;
    for (const identifier of IDENTIFIERS) {
      saved.set(identifier, SettingsService.getRootCertificates({ identifier }));
      SettingsService.setRootCertificates({ identifier, certificates: [rootPem] });
    }
  });
  after(async () => {
    for (const [identifier, certificates] of saved) SettingsService.setRootCertificates({ identifier, certificates });
    await key.close();
  });

  it('the exported root is a self-signed CA certificate, and stays the same across calls', async () => {
    const root = new x509.X509Certificate(rootPem);
    assert.equal(await root.isSelfSigned(), true);
    assert.equal(root.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.deepEqual((await key.control.attestationRoots()).roots, [rootPem]);
  });

  for (const [format, fmt, algs] of MATRIX) {
    for (const algName of algs) {
      it(`${format} with ${algName}: fmt "${fmt}" verifies`, async () => {
        key.control.setAttestation({ format, once: true });
        const { response, challenge } = await create(key, ALG[algName]);
        assert.equal(attestationObjectOf(response).get('fmt'), fmt);
        const v = await verifyWithSimpleWebAuthn(response, challenge);
        assert.equal(v.verified, true);
        assert.equal(v.registrationInfo.fmt, fmt);
        assert.equal(v.registrationInfo.credential.publicKey.length > 0, true);
        // once: the device's own format answers the next ceremony.
        assert.equal(key.control.attestation().format, 'packed-chain');
      });
    }
  }

  it('packed-chain, tpm and android-safetynet send leaf → intermediate; android-key the whole chain up to the root', async () => {
    const rootDer = new Uint8Array(new x509.X509Certificate(rootPem).rawData);
    for (const [format, length] of [
      ['packed-chain', 2],
      ['tpm', 2],
      ['android-key', 3],
      ['apple', 2],
      ['fido-u2f', 1],
    ] as const) {
      key.control.setAttestation({ format, once: true });
      const { response } = await create(key, ALG.ES256);
      const x5c = (attestationObjectOf(response).get('attStmt') as CborMap).get('x5c') as Uint8Array[];
      assert.equal(x5c.length, length, format);
      assert.equal(equal(x5c[x5c.length - 1]!, rootDer), format === 'android-key', format);
    }
  });

  it('a chain to a root the RP does not trust is refused (the check is real)', async () => {
    const other = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
    try {
      for (const format of ['packed-chain', 'tpm', 'android-key', 'android-safetynet', 'apple', 'fido-u2f'] as const) {
        other.control.setAttestation({ format });
        const { response, challenge } = await create(other, ALG.ES256);
        await assert.rejects(
          verifyWithSimpleWebAuthn(response, challenge),
          /trust anchor|root certificate|certificate path/,
          format,
        );
      }
    } finally {
      await other.close();
    }
  });

  it("the AAGUID is the caller's: in authData and in the packed and tpm certificates' AAGUID extension", async () => {
    const aaguid = '0b3e9f1c-7a2d-4c5e-8f60-112233445566';
    for (const format of ['packed-chain', 'tpm', 'android-safetynet'] as const) {
      key.control.setAttestation({ format, aaguid, once: true });
      const { response, challenge } = await create(key, ALG.ES256);
      const v = await verifyWithSimpleWebAuthn(response, challenge);
      assert.equal(v.verified, true);
      assert.equal(v.registrationInfo.aaguid, aaguid, format);
    }
    // fido-u2f: the AAGUID is zero (§8.6), whatever the caller chose.
    key.control.setAttestation({ format: 'fido-u2f', aaguid, once: true });
    const { response } = await create(key, ALG.ES256);
    const authData = attestationObjectOf(response).get('authData') as Uint8Array;
    assert.equal(toHex(parseAuthenticatorData(authData).attestedCredentialData!.aaguid), '0'.repeat(32));
  });

  it('compound (§8.9): an array of { fmt, attStmt }, each verified by SimpleWebAuthn on its own', async () => {
    for (const alg of [ALG.ES256, ALG.RS256, ALG.EdDSA]) {
      key.control.setAttestation({ format: 'compound', once: true });
      const { response, challenge } = await create(key, alg);
      const ao = attestationObjectOf(response);
      assert.equal(ao.get('fmt'), 'compound');
      const parts = ao.get('attStmt') as CborValue[];
      assert.ok(Array.isArray(parts) && parts.length >= 2);
      const fmts: string[] = [];
      for (const part of parts as CborMap[]) {
        const single = new Map(ao);
        single.set('fmt', part.get('fmt')!);
        single.set('attStmt', part.get('attStmt')!);
        const v = await verifyWithSimpleWebAuthn(withAttestationObject(response, single), challenge);
        assert.equal(v.verified, true);
        fmts.push(part.get('fmt') as string);
      }
      assert.deepEqual(fmts, alg === ALG.EdDSA ? ['packed', 'packed'] : ['packed', 'tpm']);
    }
  });

  it('android-safetynet: the JWS nonce is b64(SHA-256(authData ‖ clientDataHash)), ctsProfileMatch true, signed for attest.android.com', async () => {
    key.control.setAttestation({ format: 'android-safetynet', once: true });
    const { response, challenge } = await create(key, ALG.ES256);
    const ao = attestationObjectOf(response);
    const jws = utf8.decode((ao.get('attStmt') as CborMap).get('response') as Uint8Array);
    const [h, p] = jws.split('.') as [string, string];
    const header = JSON.parse(utf8.decode(b64u.decode(h))) as { alg: string; x5c: string[] };
    const payload = JSON.parse(utf8.decode(b64u.decode(p))) as {
      nonce: string;
      ctsProfileMatch: boolean;
      timestampMs: number;
    };
    const clientDataHash = sha256(b64u.decode(response.response.clientDataJSON));
    assert.equal(
      payload.nonce,
      Buffer.from(sha256(ao.get('authData') as Uint8Array, clientDataHash)).toString('base64'),
    );
    assert.equal(payload.ctsProfileMatch, true);
    assert.equal(header.alg, 'RS256');
    assert.match(new x509.X509Certificate(Buffer.from(header.x5c[0]!, 'base64')).subject, /CN=attest\.android\.com/);
    // SimpleWebAuthn enforces timestampMs freshness (60 s); an old one is refused.
    assert.equal((await verifyWithSimpleWebAuthn(response, challenge)).verified, true);
    assert.ok(Math.abs(Date.now() - payload.timestampMs) < 60_000);
  });

  for (const algName of ['RS256', 'EdDSA'] as const) {
    it(`android-key with ${algName} (§8.4 verification procedure, checked with @peculiar/x509, @peculiar/asn1-android and node:crypto)`, async () => {
      key.control.setAttestation({ format: 'android-key', once: true });
      const { response } = await create(key, ALG[algName]);
      const ao = attestationObjectOf(response);
      const attStmt = ao.get('attStmt') as CborMap;
      const authData = ao.get('authData') as Uint8Array;
      const clientDataHash = sha256(b64u.decode(response.response.clientDataJSON));
      const x5c = (attStmt.get('x5c') as Uint8Array[]).map((d) => new x509.X509Certificate(new Uint8Array(d)));
      // Step 2: sig verifies with the leaf's public key, over authenticatorData ‖ clientDataHash.
      const leafKey = createPublicKey({ key: Buffer.from(x5c[0]!.publicKey.rawData), format: 'der', type: 'spki' });
      const sig = attStmt.get('sig') as Uint8Array;
      assert.equal(
        cryptoVerify(algName === 'EdDSA' ? null : 'sha256', concat(authData, clientDataHash), leafKey, sig),
        true,
      );
      assert.equal(attStmt.get('alg'), ALG[algName]);
      // Step 3: the leaf's public key is the credential public key (SPKI as getPublicKey() returns it).
      assert.equal(equal(new Uint8Array(x5c[0]!.publicKey.rawData), b64u.decode(response.response.publicKey!)), true);
      // Step 4: the key description.
      const ext = x5c[0]!.extensions.find((e) => e.type === id_ce_keyDescription)!;
      const kd = AsnConvert.parse(ext.value, KeyDescription);
      assert.equal(equal(new Uint8Array(kd.attestationChallenge.buffer), clientDataHash), true);
      assert.equal(kd.teeEnforced.allApplications, undefined);
      assert.equal(kd.softwareEnforced.allApplications, undefined);
      assert.equal(kd.teeEnforced.origin, 0);
      assert.deepEqual([...kd.teeEnforced.purpose!], [2]);
      // The chain ends at the exported root.
      const chain = await new x509.X509ChainBuilder({ certificates: x5c.slice(1) }).build(x5c[0]!);
      assert.equal(chain.length, 3);
      assert.equal(chain[2]!.equal(new x509.X509Certificate(rootPem)), true);
    });
  }

  it('formats that cannot attest an algorithm refuse it (tpm: no Ed25519; fido-u2f, apple: P-256 only)', async () => {
    for (const format of ['tpm', 'fido-u2f', 'apple'] as const) {
      key.control.setAttestation({ format, once: true });
      await assert.rejects(create(key, ALG.EdDSA), { name: 'NotSupportedError' }, format);
      key.control.setAttestation({ reset: true });
    }
  });

  it('the control API refuses an unknown format or a malformed AAGUID with a message naming it', () => {
    assert.throws(() => key.control.setAttestation({ format: 'packd' }), /format must be one of packed, self, none/);
    assert.throws(() => key.control.setAttestation({ aaguid: 'xyz' }), /aaguid must be a UUID/);
  });
});
