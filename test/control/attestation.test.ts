/**
 * The attestation choice and roots from every front: key.control, the HTTP control API,
 * `softkey attestation roots` and `softkey start --attestation/--aaguid` (usage errors exit 2);
 * the roots persist in the data directory's vault across restarts.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { main } from '../../src/cli/main.js';
import * as b64u from '../../src/encoding/base64url.js';
import { decode, type CborMap } from '../../src/encoding/cbor.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { startPanelServer, type PanelServer } from '../../src/panel/server.js';

const TOKEN = 'test-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'softkey-attestation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('attestation control: HTTP API', () => {
  let key: SoftKey;
  let server: PanelServer;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.origin + path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
    server = await startPanelServer({ controller: key.control, token: TOKEN, port: 0 });
  });
  after(async () => {
    await server.close();
    await key.close();
  });

  it("GET/PUT /api/attestation choose the format and AAGUID; reset returns to the device's own; bad input is a 400 naming it", async () => {
    const shown = await call('GET', '/api/attestation');
    assert.equal(shown.status, 200);
    assert.equal(shown.body.format, 'packed');
    assert.ok(shown.body.formats.includes('android-safetynet'));
    const set = await call('PUT', '/api/attestation', {
      format: 'tpm',
      aaguid: '00112233-4455-6677-8899-aabbccddeeff',
    });
    assert.equal(set.status, 200);
    assert.deepEqual(
      [set.body.format, set.body.aaguid, set.body.once],
      ['tpm', '00112233-4455-6677-8899-aabbccddeeff', false],
    );
    assert.equal(key.control.attestation().format, 'tpm');
    assert.equal((await call('PUT', '/api/attestation', { reset: true })).body.format, 'packed');
    const bad = await call('PUT', '/api/attestation', { format: 'tpm2' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /format must be one of/);
    assert.match((await call('PUT', '/api/attestation', { formt: 'tpm' })).body.error, /unknown member formt/);
  });

  it('GET /api/attestation/roots gives the same PEM root as key.control', async () => {
    const r = await call('GET', '/api/attestation/roots');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, await key.control.attestationRoots());
    assert.match(
      String(r.body.roots[0]),
      /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/,
    );
  });

  it("packed (one self-signed certificate) with a caller's AAGUID verifies, its certificate carrying that AAGUID", async () => {
    const aaguid = 'a1b2c3d4-e5f6-4718-8293-a4b5c6d7e8f9';
    key.control.setAttestation({ format: 'packed', aaguid, once: true });
    const challenge = crypto.getRandomValues(new Uint8Array(32));
    const response = await key.client.create(
      {
        rp: { name: 'Example', id: 'example.test' },
        user: { id: b64u.encode(new Uint8Array(8)), name: 'a', displayName: 'A' },
        challenge: b64u.encode(challenge),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        attestation: 'direct',
      },
      { origin: 'https://example.test' },
    );
    const v = await verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: 'https://example.test',
      expectedRPID: 'example.test',
      requireUserVerification: false,
    });
    assert.equal(v.verified, true);
    assert.equal(v.registrationInfo.aaguid, aaguid);
    const ao = decode(b64u.decode(response.response.attestationObject)) as CborMap;
    assert.equal(((ao.get('attStmt') as CborMap).get('x5c') as Uint8Array[]).length, 1);
  });
});

describe('attestation from the CLI', () => {
  it("softkey attestation roots prints the data directory's root, the same after a restart", async () => {
    const first = await run('attestation', 'roots', '--data-dir', dir);
    assert.equal(first.code, 0, first.err);
    const cert = new x509.X509Certificate(first.out);
    assert.equal(await cert.isSelfSigned(), true);
    const key = await openSoftKey({ dataDir: dir, presence: 'auto' });
    try {
      assert.deepEqual(
        (await key.control.attestationRoots()).roots.map((p) => p.trimEnd()),
        [first.out],
      );
    } finally {
      await key.close();
    }
    assert.equal((await run('attestation', 'roots', '--data-dir', dir)).out, first.out);
  });

  it('usage errors exit 2 with a message naming the flag', async () => {
    for (const [argv, message] of [
      [['start', '--attestation', 'tpm3'], /--attestation must be one of packed, self, none, packed-chain/],
      [['start', '--aaguid', 'zz'], /--aaguid must be a UUID/],
      [['attestation', 'leaves'], /expected "roots"/],
      [['ctl', 'attestation', 'set'], /needs --format or --aaguid/],
    ] as const) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message);
    }
  });
});
