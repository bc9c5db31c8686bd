/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10) through dispatchCtap2 bytes: the initial array, reads and
 * fragmented writes with both PIN/UV auth protocols, every error path, persistence in SQLite, reset.
 * cbor2 and node:crypto are the independent oracles for the serialized array.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encode as oracleEncode } from 'cbor2';
import {
  INITIAL_SERIALIZED_LARGE_BLOB_ARRAY,
  MAX_SERIALIZED_LARGE_BLOB_ARRAY,
} from '../../src/authenticator/largeBlobs.js';
import { Command } from '../../src/ctap2/commands.js';
import { PinUvAuthTokenPermission as Perm } from '../../src/ctap2/clientPin.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import {
  encodeConfigRequest,
  encodeLargeBlobsGet,
  encodeLargeBlobsSet,
  encodeLargeBlobsWrite,
  parseLargeBlobArray,
  serializeLargeBlobArray,
  type PinUvAuthSession,
} from '../../src/ctap2/hostCodec.js';
import { decodeLargeBlobsResponse } from '../../src/ctap2/largeBlobs.js';
import { ConfigSubCommand } from '../../src/ctap2/authenticatorConfig.js';
import { Status } from '../../src/ctap2/status.js';
import { concat, equal } from '../../src/encoding/bytes.js';
import { encode, type Encodable } from '../../src/encoding/cbor.js';
import { SqliteStore } from '../../src/store/sqliteStore.js';
import { testEnv } from '../helpers/env.js';
import { tempDir } from '../store/helpers.js';
import { managementDevice, sha256, VERSIONS, type ManagementDevice } from './managementDevice.js';

const MAX_FRAGMENT = 7609 - 64; // default maxMsgSize − 64
const oracleTrailer = (body: Uint8Array) => new Uint8Array(createHash('sha256').update(body).digest().subarray(0, 16));
/** The serialized array by the oracles: cbor2's encoding and node's SHA-256. */
const oracleSerialize = (entries: unknown[]) => {
  const body = oracleEncode(entries);
  return concat(body, oracleTrailer(body));
};
/** Entries shaped like python-fido2's: {1: ciphertext, 2: nonce, 3: origSize}. */
const entry = (size: number) =>
  new Map<number, Encodable>([
    [1, new Uint8Array(randomBytes(size))],
    [2, new Uint8Array(randomBytes(12))],
    [3, size],
  ]);

async function readAll(d: ManagementDevice, fragment = MAX_FRAGMENT): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let offset = 0; ; offset += fragment) {
    const r = await d.call(encodeLargeBlobsGet(offset, fragment));
    assert.equal(r[0], Status.CTAP2_OK, `read at ${offset}`);
    const part = decodeLargeBlobsResponse(r).config!;
    parts.push(part);
    if (part.length < fragment) return concat(...parts);
  }
}

async function writeAll(
  d: ManagementDevice,
  serialized: Uint8Array,
  session?: PinUvAuthSession,
  fragment = MAX_FRAGMENT,
) {
  for (const request of encodeLargeBlobsWrite(serialized, fragment, session)) {
    assert.equal((await d.call(request))[0], Status.CTAP2_OK);
  }
}

describe('largeBlobs: reading and writing', () => {
  it('a fresh authenticator holds the empty array: CBOR [] and its truncated SHA-256', async () => {
    const d = await managementDevice();
    const expected = oracleSerialize([]);
    assert.equal(expected.length, 17);
    assert.ok(equal(INITIAL_SERIALIZED_LARGE_BLOB_ARRAY, expected));
    assert.ok(equal(await readAll(d), expected));
    assert.ok(
      equal(decodeLargeBlobsResponse(await d.call(encodeLargeBlobsGet(5, 100))).config!, expected.subarray(5)),
      'read from an offset',
    );
    assert.equal(
      decodeLargeBlobsResponse(await d.call(encodeLargeBlobsGet(17, 100))).config!.length,
      0,
      'offset at the end reads nothing',
    );
    const info = await d.info();
    assert.equal(info.options?.largeBlobs, true);
    assert.equal(info.maxSerializedLargeBlobArray, MAX_SERIALIZED_LARGE_BLOB_ARRAY);
    assert.ok(MAX_SERIALIZED_LARGE_BLOB_ARRAY >= 4096);
  });

  it('without a PIN, a write needs no pinUvAuthParam; it reads back byte for byte', async () => {
    const d = await managementDevice();
    const entries = [entry(100), entry(20)];
    const serialized = serializeLargeBlobArray(entries);
    assert.ok(equal(serialized, oracleSerialize(entries)), 'our serializer agrees with cbor2 + node:crypto');
    await writeAll(d, serialized);
    const read = await readAll(d, 64);
    assert.ok(equal(read, serialized));
    assert.equal(parseLargeBlobArray(read).length, 2);
  });

  for (const v of VERSIONS) {
    it(`protocol ${v}: an 8 KiB array in fragments with an lbw token`, async () => {
      const d = await managementDevice();
      await d.setPin();
      const t = await d.token(v, Perm.lbw);
      let entries = [entry(3000), entry(3000), entry(1500)];
      let serialized = serializeLargeBlobArray(entries);
      // Fill up to exactly the maximum.
      entries = [...entries, entry(MAX_SERIALIZED_LARGE_BLOB_ARRAY - serialized.length - 30)];
      serialized = serializeLargeBlobArray(entries);
      while (serialized.length < MAX_SERIALIZED_LARGE_BLOB_ARRAY) {
        entries[3] = entry((entries[3]!.get(3) as number) + 1);
        serialized = serializeLargeBlobArray(entries);
      }
      assert.equal(serialized.length, MAX_SERIALIZED_LARGE_BLOB_ARRAY);
      await writeAll(d, serialized, t, 3000); // three fragments
      assert.ok(equal(await readAll(d), serialized));
      assert.ok(equal(await readAll(d, 1000), serialized));
    });
  }

  it('the lbw permission survives makeCredential/getAssertion (clearPinUvAuthTokenPermissionsExceptLbw)', async () => {
    const d = await managementDevice();
    await d.residentCredential('a.example', [1]);
    await d.setPin();
    const t = await d.token(2, Perm.ga | Perm.lbw);
    assert.equal(
      (await d.call(encodeGetAssertionRequest({ rpId: 'a.example', clientDataHash: sha256('x') })))[0],
      Status.CTAP2_OK,
    );
    await writeAll(d, serializeLargeBlobArray([entry(10)]), t);
  });

  it('a write is committed to SQLite before its response, and kept across a restart', async (t) => {
    const file = join(tempDir(t), 'softkey.db');
    const key = new Uint8Array(randomBytes(32));
    const store = SqliteStore.open(file, key);
    const d = await managementDevice({ env: { ...testEnv(), store } });
    const serialized = serializeLargeBlobArray([entry(500)]);
    await writeAll(d, serialized);
    const second = SqliteStore.open(file, key); // another connection sees the committed array
    assert.ok(equal(second.getLargeBlobArray()!, serialized));
    second.close();
    store.close();
    const reopened = SqliteStore.open(file, key);
    const d2 = await managementDevice({ env: { ...testEnv(), store: reopened } });
    assert.ok(equal(await readAll(d2), serialized));
    reopened.close();
  });

  it('authenticatorReset brings back the empty array', async () => {
    const d = await managementDevice();
    await writeAll(d, serializeLargeBlobArray([entry(50)]));
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.ok(equal(await readAll(d), INITIAL_SERIALIZED_LARGE_BLOB_ARRAY));
  });
});

describe('largeBlobs: errors', () => {
  const raw = (d: ManagementDevice, m: Map<number, Encodable>) =>
    d.status(concat(new Uint8Array([Command.authenticatorLargeBlobs]), encode(m)));

  it('parameter combinations, lengths and offsets of reads', async () => {
    const d = await managementDevice();
    assert.equal(await raw(d, new Map([[1, 10]])), Status.CTAP2_ERR_MISSING_PARAMETER, 'no offset');
    assert.equal(await raw(d, new Map([[3, 0]])), Status.CTAP1_ERR_INVALID_PARAMETER, 'neither get nor set');
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 10],
          [2, new Uint8Array(17)],
          [3, 0],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'both get and set',
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, 10],
          [3, 0],
          [4, 17],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'get with length',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 10],
          [3, 0],
          [5, new Uint8Array(16)],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'get with pinUvAuthParam',
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, 10],
          [3, 0],
          [6, 2],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'get with pinUvAuthProtocol',
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, MAX_FRAGMENT + 1],
          [3, 0],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_LENGTH,
      'get > maxFragmentLength',
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, MAX_FRAGMENT],
          [3, 0],
        ]),
      ),
      Status.CTAP2_OK,
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, 1],
          [3, 18],
        ]),
      ),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'offset beyond the array',
    );
    assert.equal(
      await raw(
        d,
        new Map([
          [1, -1],
          [3, 0],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'negative get',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [2, 'text'],
          [3, 0],
          [4, 17],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'set not bytes',
    );
  });

  it('lengths, sequence and integrity of writes', async () => {
    const d = await managementDevice();
    const set = (offset: number, fragment: Uint8Array, length?: number) =>
      d.status(encodeLargeBlobsSet(offset, fragment, length));
    assert.equal(
      await set(0, new Uint8Array(MAX_FRAGMENT + 1), MAX_FRAGMENT + 1),
      Status.CTAP1_ERR_INVALID_LENGTH,
      'set > maxFragmentLength',
    );
    assert.equal(await set(0, new Uint8Array(20)), Status.CTAP1_ERR_INVALID_PARAMETER, 'offset 0 without length');
    assert.equal(
      await set(0, new Uint8Array(20), MAX_SERIALIZED_LARGE_BLOB_ARRAY + 1),
      Status.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL,
    );
    assert.equal(await set(0, new Uint8Array(16), 16), Status.CTAP1_ERR_INVALID_PARAMETER, 'shorter than 17 bytes');
    assert.equal(await set(5, new Uint8Array(5)), Status.CTAP1_ERR_INVALID_SEQ, 'no write begun');

    const serialized = serializeLargeBlobArray([entry(100)]);
    assert.equal(await set(0, serialized.subarray(0, 50), serialized.length), Status.CTAP2_OK);
    assert.equal(
      await set(50, serialized.subarray(50, 60), serialized.length),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'length after offset 0',
    );
    assert.equal(await set(40, serialized.subarray(40, 60)), Status.CTAP1_ERR_INVALID_SEQ, 'offset goes back');
    assert.equal(await set(60, serialized.subarray(60)), Status.CTAP1_ERR_INVALID_SEQ, 'offset skips ahead');
    assert.equal(
      await set(50, concat(serialized.subarray(50), new Uint8Array(1))),
      Status.CTAP1_ERR_INVALID_PARAMETER,
      'more than length',
    );
    assert.equal(await set(50, serialized.subarray(50)), Status.CTAP2_OK, 'the write goes on after refused fragments');
    assert.ok(equal(await readAll(d), serialized));

    // A corrupted trailer: INTEGRITY_FAILURE, and the stored array is unchanged.
    const corrupt = serializeLargeBlobArray([entry(30)]);
    corrupt[corrupt.length - 1]! ^= 0x01;
    assert.equal(await set(0, corrupt, corrupt.length), Status.CTAP2_ERR_INTEGRITY_FAILURE);
    assert.ok(equal(await readAll(d), serialized));
    assert.equal(
      await set(corrupt.length, new Uint8Array(1)),
      Status.CTAP1_ERR_INVALID_SEQ,
      'the failed write is over',
    );
  });

  for (const v of VERSIONS) {
    it(`protocol ${v}: with a PIN, writes need an lbw token and a pinUvAuthParam over the fragment`, async () => {
      const d = await managementDevice();
      await d.setPin();
      const serialized = serializeLargeBlobArray([entry(64)]);
      assert.equal(
        await d.status(encodeLargeBlobsSet(0, serialized, serialized.length)),
        Status.CTAP2_ERR_PUAT_REQUIRED,
      );
      const t = await d.token(v, Perm.lbw);
      const param = t.protocol.authenticate(
        t.pinUvAuthToken,
        concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0c, 0, 0, 0, 0, 0]), sha256(serialized)),
      );
      const req = (extra: Array<[number, Encodable]>) =>
        raw(d, new Map<number, Encodable>([[2, serialized], [3, 0], [4, serialized.length], ...extra]));
      assert.equal(await req([[5, param]]), Status.CTAP2_ERR_MISSING_PARAMETER, 'no pinUvAuthProtocol');
      assert.equal(
        await req([
          [5, param],
          [6, 7],
        ]),
        Status.CTAP1_ERR_INVALID_PARAMETER,
        'unknown protocol',
      );
      const wrongOffset = t.protocol.authenticate(
        t.pinUvAuthToken,
        concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0c, 0, 1, 0, 0, 0]), sha256(serialized)),
      );
      assert.equal(
        await req([
          [5, wrongOffset],
          [6, v],
        ]),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'MAC over another offset',
      );
      const noLbw = await d.token(v, Perm.cm);
      assert.equal(
        await d.status(encodeLargeBlobsSet(0, serialized, serialized.length, noLbw)),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'token without lbw',
      );
      const t2 = await d.token(v, Perm.lbw);
      const param2 = t2.protocol.authenticate(
        t2.pinUvAuthToken,
        concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0c, 0, 0, 0, 0, 0]), sha256(serialized)),
      );
      assert.equal(
        await req([
          [5, param2],
          [6, v],
        ]),
        Status.CTAP2_OK,
        'the hand-built message matches the spec layout',
      );
      assert.ok(equal(await readAll(d), serialized));
      assert.equal(await d.status(encodeLargeBlobsGet(0, 10)), Status.CTAP2_OK, 'reads never need a token');
    });
  }

  it('alwaysUv without a PIN: writes need a token (so a PIN)', async () => {
    const d = await managementDevice();
    assert.equal(await d.status(encodeConfigRequest(ConfigSubCommand.toggleAlwaysUv)), Status.CTAP2_OK);
    const serialized = serializeLargeBlobArray([]);
    assert.equal(await d.status(encodeLargeBlobsSet(0, serialized, serialized.length)), Status.CTAP2_ERR_PUAT_REQUIRED);
  });
});
