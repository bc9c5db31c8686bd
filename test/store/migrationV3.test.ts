/**
 * Migration 3 on a real data directory written by softkey before it (schema version 2, resident
 * record format 1): fixtures/schema-v2 was made by commit a885126 through CTAP (four discoverable
 * credentials, credential-ID-sealed keys, a counter at 2). After the upgrade every credential still
 * signs, with the key the relying party registered, and lookups, counts and the replacement rule work.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { concat, fromHex, toHex } from '../../src/encoding/bytes.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { LATEST_SCHEMA_VERSION, schemaVersion } from '../../src/store/migrations.js';
import { StoreDecryptError } from '../../src/store/sealing.js';
import { SqliteStore } from '../../src/store/sqliteStore.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { tempDir } from './helpers.js';

const FIXTURE = join(REPO_ROOT, 'test', 'store', 'fixtures', 'schema-v2');

interface FixtureCredential {
  rp: string;
  rpName?: string;
  user: string;
  userId: string;
  name: string;
  displayName?: string;
  credProtect: 1 | 2 | 3;
  credentialId: string;
  publicKey: string;
}
const fixture = JSON.parse(readFileSync(join(FIXTURE, 'credentials.json'), 'utf8')) as {
  credentials: FixtureCredential[];
  counters: Record<string, number>;
};

function copyFixture(dir: string): void {
  for (const f of ['master.key', 'softkey.db']) {
    copyFileSync(join(FIXTURE, f), join(dir, f));
    chmodSync(join(dir, f), 0o600);
  }
  chmodSync(dir, 0o700);
}

const clientDataHash = new Uint8Array(32).fill(0x33);

test('a schema-version-2 data directory opens migrated, and every credential still signs', async (t) => {
  const dir = tempDir(t);
  copyFixture(dir);
  const before = new Database(join(dir, 'softkey.db'), { readonly: true });
  assert.equal(schemaVersion(before), 2, 'the fixture is an old data directory');
  before.close();

  const key = await openSoftKey({ dataDir: dir, uv: { available: true, verify: async () => 'verified' } });
  t.after(() => key.close());
  const { store } = key.device;
  const after = new Database(join(dir, 'softkey.db'), { readonly: true });
  assert.equal(schemaVersion(after), LATEST_SCHEMA_VERSION);
  after.close();

  // Every record, field by field (the user entity moved from clear columns into the sealed record).
  assert.equal(store.countResident(), fixture.credentials.length);
  for (const f of fixture.credentials) {
    const r = store.getResident(fromHex(f.credentialId))!;
    assert.ok(r, f.user);
    assert.equal(r.rpId, f.rp);
    assert.equal(r.rpName, f.rpName);
    assert.equal(toHex(r.userId), f.userId);
    assert.equal(r.userName, f.name);
    assert.equal(r.userDisplayName, f.displayName);
    assert.equal(r.credProtect, f.credProtect);
    assert.equal(toHex(r.publicKey), f.publicKey);
  }
  assert.deepEqual(
    store.listRps().map((r) => [r.rpId, r.rpName, r.credentialCount]),
    [
      ['old.example', 'Old Example', 3],
      ['other.example', 'Other', 1],
    ],
  );

  // Discoverable getAssertion with UV: the three of old.example, newest first, each verified with
  // the public key the old device returned at registration; the used counter continues.
  const old = fixture.credentials.filter((c) => c.rp === 'old.example');
  const request = encodeGetAssertionRequest({ rpId: 'old.example', clientDataHash, options: { uv: true } });
  const answers = [decodeGetAssertionResponse(await key.cbor(request))];
  assert.equal(answers[0]!.numberOfCredentials, 3);
  for (let i = 1; i < 3; i++)
    answers.push(
      decodeGetAssertionResponse(await key.cbor(encodeSimpleCommand(Command.authenticatorGetNextAssertion))),
    );
  assert.deepEqual(
    answers.map((a) => toHex(a.credential.id)),
    [...old].reverse().map((c) => c.credentialId),
  );
  for (const a of answers) {
    const f = old.find((c) => c.credentialId === toHex(a.credential.id))!;
    assert.ok(
      verifySignature(decodeCoseKey(fromHex(f.publicKey)), concat(a.authData, clientDataHash), a.signature),
      f.user,
    );
    assert.equal(new TextDecoder().decode(a.user!.id), f.user);
    assert.equal(a.user!.name, f.name);
    const expected = (fixture.counters[f.credentialId] ?? 0) + 1;
    assert.ok(
      parseAuthenticatorData(a.authData).signCount >= expected,
      `${f.user}: counter continues from ${expected - 1}`,
    );
  }

  // Without UV only credProtect 1 is discoverable (§12.1).
  const plain = decodeGetAssertionResponse(
    await key.cbor(encodeGetAssertionRequest({ rpId: 'old.example', clientDataHash })),
  );
  assert.equal(toHex(plain.credential.id), old.find((c) => c.credProtect === 1)!.credentialId);
  assert.equal(plain.numberOfCredentials, undefined);

  // The (RP, user) replacement rule finds a migrated credential by its user ID.
  const mc = await key.cbor(
    encodeMakeCredentialRequest({
      clientDataHash,
      rp: { id: 'old.example' },
      user: { id: new TextEncoder().encode('u2'), name: 'bob again' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      options: { rk: true, uv: true },
    }),
  );
  assert.equal(mc[0], Status.CTAP2_OK);
  const newId = parseAuthenticatorData(decodeMakeCredentialResponse(mc).authData).attestedCredentialData!.credentialId;
  assert.equal(store.getResident(fromHex(old[1]!.credentialId)), undefined, 'the old u2 credential was replaced');
  assert.equal(store.getResident(newId)!.userName, 'bob again');
  assert.equal(store.countResident(), fixture.credentials.length);
});

test("migration 3 refuses a master key that is not the database's, leaving it at version 2", async (t) => {
  const dir = tempDir(t);
  copyFixture(dir);
  const { openDatabase } = await import('../../src/store/database.js');
  assert.throws(() => openDatabase(join(dir, 'softkey.db'), new Uint8Array(32).fill(9)), /different master key/);
  const db = new Database(join(dir, 'softkey.db'), { readonly: true });
  t.after(() => db.close());
  assert.equal(schemaVersion(db), 2);
});

test('a clear column edited on disk makes the record unreadable instead of changing it', (t) => {
  const dir = tempDir(t);
  copyFixture(dir);
  const key = fromHex(readFileSync(join(dir, 'master.key')).toString('hex'));
  const store = SqliteStore.open(join(dir, 'softkey.db'), key);
  const cp3 = fixture.credentials.find((c) => c.credProtect === 3)!;
  assert.equal(store.getResident(fromHex(cp3.credentialId))!.credProtect, 3);
  store.db.prepare('UPDATE resident SET cred_protect = 1 WHERE credential_id = ?').run(fromHex(cp3.credentialId));
  assert.throws(() => store.getResident(fromHex(cp3.credentialId)), StoreDecryptError);
  store.close();
});
