/**
 * Client extensions end to end against the in-process softkey: prf (L3 §10.1.4 over hmac-secret and
 * hmac-secret-mc), largeBlob (L3 §10.1.5 over largeBlobKey + authenticatorLargeBlobs, the stored
 * array checked independently with cbor2 and node:crypto/zlib), credBlob/getCredBlob, credProps.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { decode as cbor2Decode } from 'cbor2';
import { ClientPin } from '../../src/client/clientPin.js';
import { WebAuthnError } from '../../src/client/errors.js';
import { pinUvAuthenticate } from '../../src/client/userVerifier.js';
import type { RegistrationResponseJSON } from '../../src/client/json.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { decode, encode, type CborMap, type Encodable } from '../../src/encoding/cbor.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { makeDevice, ORIGIN, patchInfo, RP_ID, randomBytes } from './device.js';

const PIN = '1234';
type Client = WebAuthnClient;

async function createCredential(
  client: Client,
  o: { rk?: boolean; uv?: string; extensions?: Record<string, unknown> } = {},
): Promise<RegistrationResponseJSON> {
  return client.create(
    {
      rp: { name: 'Demo', id: RP_ID },
      user: { id: b64u.encode(randomBytes(16)), name: 'alice', displayName: 'Alice' },
      challenge: b64u.encode(randomBytes(32)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: {
        residentKey: o.rk ? 'required' : 'discouraged',
        userVerification: o.uv ?? 'discouraged',
      },
      ...(o.extensions && { extensions: o.extensions }),
    },
    { origin: ORIGIN },
  );
}

async function assertWith(
  client: Client,
  ids: string[],
  o: { uv?: string; extensions?: Record<string, unknown> } = {},
) {
  return client.get(
    {
      challenge: b64u.encode(randomBytes(32)),
      userVerification: o.uv ?? 'discouraged',
      allowCredentials: ids.map((id) => ({ type: 'public-key', id })),
      ...(o.extensions && { extensions: o.extensions }),
    },
    { origin: ORIGIN },
  );
}

const prfEval = (first: string, second?: string) => ({
  prf: {
    eval: { first: b64u.encode(utf8.encode(first)), ...(second && { second: b64u.encode(utf8.encode(second)) }) },
  },
});
type PrfOut = { results?: { first: string; second?: string }; enabled?: boolean };
const prfOf = (r: { clientExtensionResults: Record<string, unknown> }) => r.clientExtensionResults.prf as PrfOut;

async function withPin() {
  const device = await makeDevice();
  await device.client.setPin(PIN);
  return device;
}

describe('prf over hmac-secret', () => {
  it('results are stable per credential and salt, differ across salts, credentials and UV, and create (hmac-secret-mc) agrees with get', async () => {
    const { client } = await withPin();
    const c1 = await createCredential(client, { extensions: prfEval('salt A') });
    const c2 = await createCredential(client, { extensions: { prf: {} } });
    assert.equal(prfOf(c1).enabled, true);
    assert.equal(prfOf(c2).enabled, true);
    assert.deepEqual(Object.keys(prfOf(c2)), ['enabled'], 'no eval, no results');
    const atCreate = prfOf(c1).results!.first;
    assert.equal(b64u.decode(atCreate).length, 32);

    const a1 = prfOf(await assertWith(client, [c1.id], { extensions: prfEval('salt A') })).results!;
    const a1again = prfOf(await assertWith(client, [c1.id], { extensions: prfEval('salt A') })).results!;
    assert.equal(a1.first, a1again.first, 'stable for the same credential and salt');
    assert.equal(a1.first, atCreate, 'hmac-secret-mc at create = hmac-secret at get (same UV state: none)');
    assert.equal(a1.second, undefined);

    const two = prfOf(await assertWith(client, [c1.id], { extensions: prfEval('salt B', 'salt A') })).results!;
    assert.notEqual(two.first, a1.first, 'another salt, another result');
    assert.equal(two.second, a1.first, 'second is evaluated like first');

    const other = prfOf(await assertWith(client, [c2.id], { extensions: prfEval('salt A') })).results!;
    assert.notEqual(other.first, a1.first, 'another credential, another result');

    const withUv = prfOf(await assertWith(client, [c1.id], { uv: 'required', extensions: prfEval('salt A') })).results!;
    const withUvAgain = prfOf(
      await assertWith(client, [c1.id], { uv: 'required', extensions: prfEval('salt A') }),
    ).results!;
    assert.notEqual(withUv.first, a1.first, 'CredRandomWithUV differs from CredRandomWithoutUV');
    assert.equal(withUv.first, withUvAgain.first);
  });

  it('evalByCredential picks the entry of the credential used (a silent probe singles it out of the allow list)', async () => {
    const { client, requests } = await makeDevice();
    const c1 = await createCredential(client, { extensions: { prf: {} } });
    const c2 = await createCredential(client, { extensions: { prf: {} } });
    const single = async (id: string, salt: string) =>
      prfOf(await assertWith(client, [id], { extensions: prfEval(salt) })).results!.first;
    const salts: Record<string, string> = { [c1.id]: 'for c1', [c2.id]: 'for c2' };
    const byCredential = (ids: string[]) => ({
      prf: {
        eval: { first: b64u.encode(utf8.encode('default')) },
        evalByCredential: Object.fromEntries(ids.map((id) => [id, { first: b64u.encode(utf8.encode(salts[id]!)) }])),
      },
    });

    const one = await assertWith(client, [c2.id], { extensions: byCredential([c2.id]) });
    assert.equal(prfOf(one).results!.first, await single(c2.id, 'for c2'));
    const fallback = await assertWith(client, [c1.id, c2.id], { extensions: byCredential([c2.id]) });
    if (fallback.id === c1.id)
      assert.equal(prfOf(fallback).results!.first, await single(c1.id, 'default'), 'no entry for c1: eval');

    const before = requests.length;
    const both = await assertWith(client, [c1.id, c2.id], { extensions: byCredential([c1.id, c2.id]) });
    assert.equal(prfOf(both).results!.first, await single(both.id, salts[both.id]!));
    const probes = requests
      .slice(before)
      .filter((q) => q[0] === 0x02)
      .map((q) => decode(q.subarray(1)) as CborMap)
      .filter((m) => (m.get(5) as CborMap | undefined)?.get('up') === false);
    assert.equal(probes.length, 1, 'one silent probe for the two-entry allow list');
  });

  it('a discoverable get with eval, and without hmac-secret support the output is empty', async () => {
    const { client } = await makeDevice();
    const c = await createCredential(client, { rk: true, extensions: prfEval('x') });
    const a = await client.get(
      { challenge: b64u.encode(randomBytes(32)), userVerification: 'discouraged', extensions: prfEval('x') },
      { origin: ORIGIN },
    );
    assert.equal(a.id, c.id);
    assert.equal(prfOf(a).results!.first, prfOf(c).results!.first);
    const device = await makeDevice();
    const plain = new WebAuthnClient(patchInfo(device.transport, (info) => info.set(2, ['credProtect'])));
    const p = await createCredential(plain, { extensions: prfEval('x') });
    assert.deepEqual(p.clientExtensionResults.prf, { enabled: false });
    assert.deepEqual((await assertWith(plain, [p.id], { extensions: prfEval('x') })).clientExtensionResults.prf, {});
  });
});

/** The credential's largeBlobKey and the authenticator's stored array, read with raw CTAP (no client code). */
async function rawLargeBlobState(device: Awaited<ReturnType<typeof makeDevice>>, credentialId: string) {
  const id = b64u.decode(credentialId);
  const ga = decodeGetAssertionResponse(
    await device.transport.cbor(
      encodeGetAssertionRequest({
        rpId: RP_ID,
        clientDataHash: new Uint8Array(32),
        allowList: [{ type: 'public-key', id }],
        extensions: new Map([['largeBlobKey', true]]),
        options: { up: false },
      }),
    ),
    [{ type: 'public-key', id }],
  );
  const res = await device.transport.cbor(
    new Uint8Array([
      0x0c,
      ...encode(
        new Map([
          [1, 1024],
          [3, 0],
        ]),
      ),
    ]),
  );
  assert.equal(res[0], 0);
  const serialized = (cbor2Decode(res.subarray(1)) as Map<number, Uint8Array>).get(1)!;
  return { key: ga.largeBlobKey!, serialized };
}

/** L3 §10.1.5 / CTAP 2.1 §6.10.3, independently: checksum, then AES-256-GCM and raw DEFLATE with node:crypto/zlib. */
function openWithNode(serialized: Uint8Array, key: Uint8Array): string[] {
  const array = serialized.subarray(0, serialized.length - 16);
  assert.deepEqual(
    serialized.subarray(serialized.length - 16),
    new Uint8Array(createHash('sha256').update(array).digest().subarray(0, 16)),
  );
  const entries = cbor2Decode(array) as Array<Map<number, Uint8Array | number>>;
  const opened: string[] = [];
  for (const e of entries) {
    const ciphertext = e.get(1) as Uint8Array;
    const origSize = e.get(3) as number;
    const ad = Buffer.alloc(12);
    ad.write('blob');
    ad.writeBigUInt64LE(BigInt(origSize), 4);
    const decipher = createDecipheriv('aes-256-gcm', key, e.get(2) as Uint8Array);
    decipher.setAAD(ad);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    try {
      const compressed = Buffer.concat([
        decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
        decipher.final(),
      ]);
      const plain = inflateRawSync(compressed);
      assert.equal(plain.length, origSize);
      opened.push(plain.toString('utf8'));
    } catch {
      // another credential's entry
    }
  }
  return opened;
}

const write = (text: string) => ({ largeBlob: { write: b64u.encode(utf8.encode(text)) } });
const blobOf = (r: { clientExtensionResults: Record<string, unknown> }) => {
  const lb = r.clientExtensionResults.largeBlob as { blob?: string };
  return lb.blob === undefined ? undefined : utf8.decode(b64u.decode(lb.blob));
};

describe('largeBlob', () => {
  it('support at create needs a discoverable credential; write then read, per credential, over a PIN-protected device', async () => {
    const device = await withPin();
    const { client } = device;
    const c1 = await createCredential(client, { rk: true, extensions: { largeBlob: { support: 'required' } } });
    const c2 = await createCredential(client, { rk: true, extensions: { largeBlob: { support: 'preferred' } } });
    assert.deepEqual(c1.clientExtensionResults.largeBlob, { supported: true });
    assert.deepEqual(c2.clientExtensionResults.largeBlob, { supported: true });
    const nonRk = await createCredential(client, { extensions: { largeBlob: { support: 'preferred' } } });
    assert.deepEqual(nonRk.clientExtensionResults.largeBlob, { supported: false });
    await assert.rejects(
      createCredential(client, { extensions: { largeBlob: { support: 'required' } } }),
      (e: unknown) => e instanceof WebAuthnError && e.name === 'NotSupportedError',
    );

    assert.deepEqual(
      (await assertWith(client, [c1.id], { extensions: { largeBlob: { read: true } } })).clientExtensionResults
        .largeBlob,
      {},
      'nothing stored yet',
    );
    const w = await assertWith(client, [c1.id], { extensions: write('the first blob '.repeat(20)) });
    assert.deepEqual(w.clientExtensionResults.largeBlob, { written: true });
    await assertWith(client, [c2.id], { extensions: write('second') });
    assert.equal(
      blobOf(await assertWith(client, [c1.id], { extensions: { largeBlob: { read: true } } })),
      'the first blob '.repeat(20),
    );
    assert.equal(blobOf(await assertWith(client, [c2.id], { extensions: { largeBlob: { read: true } } })), 'second');

    // Overwrite replaces the entry instead of adding one.
    await assertWith(client, [c1.id], { extensions: write('replaced') });
    assert.equal(blobOf(await assertWith(client, [c1.id], { extensions: { largeBlob: { read: true } } })), 'replaced');
    const s1 = await rawLargeBlobState(device, c1.id);
    const s2 = await rawLargeBlobState(device, c2.id);
    assert.equal((cbor2Decode(s1.serialized.subarray(0, s1.serialized.length - 16)) as unknown[]).length, 2);
    assert.deepEqual(openWithNode(s1.serialized, s1.key), ['replaced']);
    assert.deepEqual(openWithNode(s2.serialized, s2.key), ['second']);
  });

  it('without a PIN the write needs no token; with a PIN and none given the write is refused: written false', async () => {
    const device = await makeDevice();
    const c = await createCredential(device.client, { rk: true, extensions: { largeBlob: { support: 'required' } } });
    assert.deepEqual(
      (await assertWith(device.client, [c.id], { extensions: write('no pin') })).clientExtensionResults.largeBlob,
      { written: true },
    );
    assert.equal(
      blobOf(await assertWith(device.client, [c.id], { extensions: { largeBlob: { read: true } } })),
      'no pin',
    );
    await device.client.setPin(PIN);
    device.client.pin = undefined;
    assert.deepEqual(
      (await assertWith(device.client, [c.id], { extensions: write('refused') })).clientExtensionResults.largeBlob,
      { written: false },
    );
    assert.equal(
      blobOf(await assertWith(device.client, [c.id], { extensions: { largeBlob: { read: true } } })),
      'no pin',
    );
  });
});

describe('credBlob, credProps, minPinLength', () => {
  it('credBlob is stored at create and returned by getCredBlob', async () => {
    const { client } = await makeDevice();
    const blob = randomBytes(24);
    const c = await createCredential(client, {
      rk: true,
      extensions: { credBlob: b64u.encode(blob), credProps: true },
    });
    assert.equal(c.clientExtensionResults.credBlob, true);
    assert.deepEqual(c.clientExtensionResults.credProps, { rk: true });
    const a = await assertWith(client, [c.id], { extensions: { getCredBlob: true } });
    assert.equal(a.clientExtensionResults.getCredBlob, b64u.encode(blob));
    const tooLong = await createCredential(client, {
      rk: true,
      extensions: { credBlob: b64u.encode(randomBytes(33)) },
    });
    assert.equal(tooLong.clientExtensionResults.credBlob, false, 'longer than maxCredBlobLength: not sent');
  });

  it('credProps.rk follows residentKey preferred/discouraged on a device that stores discoverable credentials', async () => {
    const { client } = await makeDevice();
    const pref = await client.create(
      {
        rp: { name: 'Demo', id: RP_ID },
        user: { id: b64u.encode(randomBytes(16)), name: 'a', displayName: 'A' },
        challenge: b64u.encode(randomBytes(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'discouraged' },
        extensions: { credProps: true },
      },
      { origin: ORIGIN },
    );
    assert.deepEqual(pref.clientExtensionResults.credProps, { rk: true });
    const disc = await createCredential(client, { extensions: { credProps: true } });
    assert.deepEqual(disc.clientExtensionResults.credProps, { rk: false });
  });

  it('minPinLength: forwarded; the output comes only for an RP ID the authenticator was configured with', async () => {
    const { client, requests, transport } = await withPin();
    const before = await createCredential(client, { extensions: { minPinLength: true } });
    const mc = requests.filter((q) => q[0] === 0x01).map((q) => decode(q.subarray(1)) as CborMap)[0]!;
    assert.equal((mc.get(6) as CborMap).get('minPinLength'), true);
    assert.equal(before.clientExtensionResults.minPinLength, undefined, 'RP ID not in minPinLengthRPIDs');

    // authenticatorConfig setMinPINLength (CTAP 2.1 §6.11.4) with minPinLengthRPIDs = [RP_ID], by hand.
    const clientPin = new ClientPin((r) => transport.cbor(r), await client.getInfo());
    const token = await clientPin.tokenFromPin(PIN, 0x20);
    const subCommandParams = new Map<number, Encodable>([[2, [RP_ID]]]);
    const message = new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0d, 0x03, ...encode(subCommandParams)]);
    const config = new Map<number, Encodable>([
      [1, 0x03],
      [2, subCommandParams],
      [3, token.protocol],
      [4, pinUvAuthenticate(token, message)],
    ]);
    assert.equal((await transport.cbor(new Uint8Array([0x0d, ...encode(config)])))[0], 0);
    client.forgetInfo();

    const after = await createCredential(client, { extensions: { minPinLength: true } });
    assert.equal(after.clientExtensionResults.minPinLength, (await client.getInfo()).minPINLength);
  });
});
