/**
 * The demo relying party over HTTP, with softkey's WebAuthn client playing the browser: the
 * register/login API, per-session single-use challenges, origin checks, and the decoded result page
 * (checked against cbor2 and the client's own output).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decode as cbor2Decode } from 'cbor2';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { createDemoServer, type DemoServer } from '../../src/rp-demo/server.js';
import { decodeRegistration } from '../../src/rp-demo/decode.js';

/** A cookie-keeping HTTP client, as one browser tab. */
function browserSession(base: string) {
  let cookie = '';
  return async (
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown>; text: string }> => {
    const res = await fetch(new URL(path, base), {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(cookie && { cookie }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an HTML page
    }
    return { status: res.status, json, text };
  };
}

describe('demo relying party API', () => {
  let key: SoftKey;
  let client: WebAuthnClient;
  let demo: DemoServer;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:' });
    client = new WebAuthnClient(key);
    demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
  });
  after(async () => {
    await demo.close();
    await key.close();
  });

  it('offers the seed’s options: rp "WebAuthn Demo", algorithms -7, -8, -257, resident key and UV preferred', async () => {
    const http = browserSession(demo.url);
    const { status, json } = await http('/api/register/options', { username: 'Fred Porlock', attestation: 'direct' });
    assert.equal(status, 200);
    assert.deepEqual(json.rp, { name: 'WebAuthn Demo', id: 'localhost' });
    assert.deepEqual(
      (json.pubKeyCredParams as Array<{ alg: number }>).map((p) => p.alg),
      [-7, -8, -257],
    );
    assert.deepEqual(json.authenticatorSelection, {
      residentKey: 'preferred',
      userVerification: 'preferred',
      requireResidentKey: false,
    });
    assert.equal(json.attestation, 'direct');
    assert.equal((json.user as { name: string }).name, 'Fred Porlock');
  });

  it('registers, shows the decoded credential, signs in with a rising counter; challenges are single-use', async () => {
    const http = browserSession(demo.url);
    const options = (await http('/api/register/options', { username: 'ada', attestation: 'direct' })).json;
    const credential = await client.create(options as never, { origin: demo.origin });
    const verified = await http('/api/register/verify', { credential });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.json.credentialId, credential.id);
    assert.equal((await http('/api/register/verify', { credential })).status, 400, 'the challenge was used up');

    const page = await http(verified.json.url as string);
    assert.equal(page.status, 200);
    assert.match(page.text, /Credential registered for ada/);
    assert.match(page.text, /<th>fmt<\/th><td class="v">packed<\/td>/);
    assert.match(page.text, /data-flag="UP" data-set="true"/);

    let last = 0;
    for (let i = 1; i <= 2; i++) {
      const req = (await http('/api/login/options', { username: 'ada' })).json;
      assert.deepEqual(
        (req.allowCredentials as Array<{ id: string }>).map((c) => c.id),
        [credential.id],
      );
      const assertion = await client.get(req as never, { origin: demo.origin });
      const r = await http('/api/login/verify', { credential: assertion });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.username, 'ada');
      assert.ok((r.json.counter as number) > last, `counter ${r.json.counter} after ${last}`);
      last = r.json.counter as number;
    }
    assert.equal(demo.db.credential(credential.id)!.loginCount, 2);
  });

  it('refuses a response made for another origin, and a sign-in without options', async () => {
    const http = browserSession(demo.url);
    const options = (await http('/api/register/options', { username: 'eve' })).json;
    const credential = await client.create(options as never, { origin: 'http://localhost:6666' });
    const r = await http('/api/register/verify', { credential });
    assert.equal(r.status, 400);
    assert.match(r.json.error as string, /origin/i);
    assert.equal(demo.db.credential(credential.id), undefined);
    assert.equal((await http('/api/login/verify', { credential })).status, 400);
    assert.equal((await http('/api/login/options', { username: 'nobody' })).status, 404);
  });

  it('decodes attestation and authenticator data as cbor2 reads them', async () => {
    const http = browserSession(demo.url);
    const options = (await http('/api/register/options', { username: 'grace', attestation: 'none' })).json;
    const credential = await client.create(options as never, { origin: demo.origin });
    const d = decodeRegistration(credential.response);
    const att = cbor2Decode(Buffer.from(credential.response.attestationObject, 'base64url')) as {
      fmt: string;
      authData: Uint8Array;
    };
    assert.deepEqual(d.attestation[0], ['fmt', att.fmt]);
    const authData = att.authData;
    const row = (name: string) => d.authenticatorData.find((r) => r[0] === name)?.[1];
    assert.equal(row('rpIdHash'), Buffer.from(authData.subarray(0, 32)).toString('hex'));
    assert.equal(row('flags'), `0x${authData[32]!.toString(16).padStart(2, '0')}`);
    assert.equal(row('signCount'), `${Buffer.from(authData.subarray(33, 37)).readUInt32BE()}`);
    assert.equal(row('credentialId'), credential.id);
    assert.deepEqual(
      d.flags
        .filter((f) => f.set)
        .map((f) => f.name)
        .sort(),
      ['AT', 'UP'],
    );
    assert.equal(d.publicKey.find((r) => r[0] === 'alg (3)')?.[1], '-7');
    assert.deepEqual(
      d.clientData.find((r) => r[0] === 'origin'),
      ['origin', demo.origin],
    );
  });
});
