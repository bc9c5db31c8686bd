/**
 * The local FIDO Metadata Service (src/mds/metadataService.ts): a metadata BLOB per FIDO MDS 3.0, loaded by
 * @simplewebauthn/server's MetadataService from softkey's server with the MDS root as its only
 * trust anchor; registration follows the status reports a test sets. SimpleWebAuthn 14 refuses the
 * compromise statuses (USER_VERIFICATION_BYPASS, ATTESTATION_KEY_COMPROMISE, USER_KEY_*); it does
 * not act on REVOKED, which the test shows is in the BLOB for the RP to read.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MetadataService, SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import * as b64u from '../../src/encoding/base64url.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { metadataBlob, startMetadataService, type MetadataServiceServer } from '../../src/mds/metadataService.js';
import { openSoftKey, type SoftKey } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ORIGIN = 'https://example.test';
const RP_ID = 'example.test';
const DEFAULT_AAGUID = '5f0c6a2e-8d1b-4e3a-9c7f-2b6d1e4a8c30';
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe("softkey mds: a FIDO MDS 3.0 metadata BLOB for SimpleWebAuthn's MetadataService", () => {
  let key: SoftKey;
  let mds: MetadataServiceServer;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', attestation: 'packed-chain' });
    mds = await startMetadataService(key);
    SettingsService.setRootCertificates({ identifier: 'mds', certificates: [mds.root] });
    SettingsService.setRootCertificates({
      identifier: 'packed',
      certificates: (await key.control.attestationRoots()).roots,
    });
  });
  after(async () => {
    await mds.close();
    await key.close();
  });

  async function register(aaguid?: string) {
    if (aaguid) key.control.setAttestation({ aaguid, once: true });
    await MetadataService.initialize({ mdsServers: [mds.url], verificationMode: 'strict' });
    const challenge = b64u.encode(random(32));
    const options = {
      rp: { name: 'Example', id: RP_ID },
      user: { id: b64u.encode(random(16)), name: 'alice', displayName: 'Alice' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      attestation: 'direct',
    };
    const response = await key.client.create(options as never, { origin: ORIGIN });
    return verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    });
  }

  it('the BLOB is a JWT with x5c (signer, CA) and a statement per profile: AAGUID, the attestation root, getInfo', async () => {
    const { blob, payload } = await metadataBlob(key, { profiles: ['default', 'badge', 'ctap20'] });
    const [header, body] = blob
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(utf8.decode(b64u.decode(p))) as Record<string, any>) as [any, any];
    assert.equal(header.alg, 'RS256');
    assert.equal(header.x5c.length, 2);
    assert.deepEqual(body, payload);
    assert.equal(payload.no, 1);
    assert.match(payload.nextUpdate, /^\d{4}-\d{2}-\d{2}$/);
    const byAaguid = new Map(payload.entries.map((e) => [e.aaguid, e]));
    const def = byAaguid.get(DEFAULT_AAGUID)!;
    assert.equal(def.metadataStatement.protocolFamily, 'fido2');
    assert.deepEqual(
      def.statusReports.map((r) => r.status),
      ['NOT_FIDO_CERTIFIED'],
    );
    const root = (await key.control.attestationRoots()).roots[0]!.replace(/-----[^-]+-----|\s/g, '');
    assert.deepEqual(def.metadataStatement.attestationRootCertificates, [root]);
    const badge = payload.entries.find((e) => (e.metadataStatement.description as string).includes('profile badge'))!;
    assert.equal(badge.aaguid, 'cdcbad6e-39c3-0001-bad6-e00100000001');
    assert.deepEqual((badge.metadataStatement.authenticatorGetInfo as { versions: string[] }).versions, [
      'FIDO_2_0',
      'FIDO_2_1',
      'U2F_V2',
    ]);
    assert.deepEqual(badge.metadataStatement.authenticationAlgorithms, [
      'secp256r1_ecdsa_sha256_raw',
      'ed25519_eddsa_sha512_raw',
    ]);
    assert.deepEqual(badge.metadataStatement.upv, [
      { major: 1, minor: 0 },
      { major: 1, minor: 1 },
    ]);
    // ctap20 has softkey's AAGUID: one AAGUID, one entry (the first profile's statement).
    assert.equal(payload.entries.length, 2);
    await assert.rejects(metadataBlob(key, { statuses: { nobody: 'REVOKED' } }), /no statement for "nobody"/);
    await assert.rejects(metadataBlob(key, { statuses: { default: 'BROKEN' as never } }), /unknown status "BROKEN"/);
  });

  it("MetadataService loads it from softkey's server and a registration with a listed AAGUID verifies", async () => {
    const v = await register();
    assert.equal(v.verified, true);
    assert.equal(v.registrationInfo!.aaguid, DEFAULT_AAGUID);
  });

  for (const status of [
    'USER_VERIFICATION_BYPASS',
    'ATTESTATION_KEY_COMPROMISE',
    'USER_KEY_REMOTE_COMPROMISE',
  ] as const) {
    it(`status ${status} set on the profile: the registration is refused`, async () => {
      await mds.setStatus('default', status);
      try {
        await assert.rejects(register(), new RegExp(`Detected compromised aaguid "${DEFAULT_AAGUID}"`));
      } finally {
        await mds.setStatus('default', undefined);
      }
      assert.equal((await register()).verified, true, 'cleared: verified again');
    });
  }

  it('REVOKED: in the BLOB for the RP to read; SimpleWebAuthn 14 does not act on it', async () => {
    await mds.setStatus(DEFAULT_AAGUID, ['FIDO_CERTIFIED', 'REVOKED']);
    try {
      const served = await (await fetch(mds.url)).text();
      const payload = JSON.parse(utf8.decode(b64u.decode(served.split('.')[1]!))) as {
        no: number;
        entries: Array<{ aaguid: string; statusReports: Array<{ status: string }> }>;
      };
      assert.ok(payload.no > 1, 'each change is a BLOB with a higher no');
      assert.deepEqual(
        payload.entries.find((e) => e.aaguid === DEFAULT_AAGUID)!.statusReports.map((r) => r.status),
        ['FIDO_CERTIFIED', 'REVOKED'],
      );
      assert.equal((await register()).verified, true);
    } finally {
      await mds.setStatus(DEFAULT_AAGUID, undefined);
    }
  });

  it('an AAGUID the BLOB does not list is refused in strict mode; the BLOB is refused under another root', async () => {
    await assert.rejects(
      register('00112233-4455-6677-8899-aabbccddeeff'),
      /No metadata statement found for aaguid "00112233-4455-6677-8899-aabbccddeeff"/,
    );
    SettingsService.setRootCertificates({
      identifier: 'mds',
      certificates: (await key.control.attestationRoots()).roots,
    });
    try {
      // The download fails verification and MetadataService keeps no statement: strict mode refuses.
      await assert.rejects(register(), /No metadata statement found/);
    } finally {
      SettingsService.setRootCertificates({ identifier: 'mds', certificates: [mds.root] });
    }
  });

  it('the server answers only its own Host and path', async () => {
    const u = new URL(mds.url);
    assert.equal((await fetch(new URL('/elsewhere', u))).status, 404);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      request(
        { host: u.hostname, port: u.port, path: u.pathname, headers: { host: `evil.example:${u.port}` } },
        (res) => resolve(res.statusCode!),
      )
        .on('error', reject)
        .end();
    });
    assert.equal(status, 421);
  });

  it('softkey mds --out FILE --root-out FILE --status PROFILE=STATUS writes the BLOB (0600) and the MDS root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mds-'));
    const run = promisify(execFile);
    const bin = join(REPO_ROOT, 'dist/src/cli/bin.js');
    const args = [
      'mds',
      '--data-dir',
      join(dir, 'key'),
      '--out',
      join(dir, 'blob.jwt'),
      '--root-out',
      join(dir, 'mds-root.pem'),
      '--status',
      'badge=REVOKED',
    ];
    const { stdout } = await run(process.execPath, [bin, ...args]);
    assert.match(stdout, /metadata BLOB with \d+ statements/);
    const blob = readFileSync(join(dir, 'blob.jwt'), 'utf8');
    assert.equal(statSync(join(dir, 'blob.jwt')).mode & 0o777, 0o600);
    const payload = JSON.parse(utf8.decode(b64u.decode(blob.split('.')[1]!))) as {
      entries: Array<{ metadataStatement: { description: string }; statusReports: Array<{ status: string }> }>;
    };
    const badge = payload.entries.find((e) => e.metadataStatement.description.includes('profile badge'))!;
    assert.deepEqual(
      badge.statusReports.map((r) => r.status),
      ['REVOKED'],
    );
    assert.match(readFileSync(join(dir, 'mds-root.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    // The same data directory keeps the same MDS root.
    await run(process.execPath, [
      bin,
      'mds',
      '--data-dir',
      join(dir, 'key'),
      '--out',
      join(dir, 'again.jwt'),
      '--root-out',
      join(dir, 'again.pem'),
    ]);
    assert.equal(readFileSync(join(dir, 'again.pem'), 'utf8'), readFileSync(join(dir, 'mds-root.pem'), 'utf8'));
    const bad = await run(process.execPath, [
      bin,
      'mds',
      '--data-dir',
      join(dir, 'key'),
      '--out',
      join(dir, 'x.jwt'),
      '--status',
      'badge',
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad?.code, 2);
    assert.match(bad!.stderr, /--status takes PROFILE_OR_AAGUID=STATUS/);
  });
});
