/**
 * Credential slots (store/credentialSlot.ts, the badge profile's 26 slots): the same contract on
 * MemoryStore and SqliteStore — round trip, freed with their discoverable credential and by wipe —
 * plus SQLite persistence across a reopen and sealing at rest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import type { CredentialStore } from '../../src/store/credentialStore.js';
import { isSlotHandle, slotHandle, SLOT_HANDLE_LENGTH, type CredentialSlot } from '../../src/store/credentialSlot.js';
import { MemoryStore } from '../../src/store/memoryStore.js';
import { SqliteStore } from '../../src/store/sqliteStore.js';
import { fullCredential, rand, tempDir } from './helpers.js';

const slot = (over: Partial<CredentialSlot['payload']> = {}): CredentialSlot => ({
  credentialId: slotHandle(rand(SLOT_HANDLE_LENGTH - 1)),
  rpIdHash: rand(32),
  createdAt: 1_700_000_000_000,
  payload: { discoverable: false, u2f: false, alg: -8, credProtect: 1, secret: rand(32), ...over },
});

const implementations: Array<[string, (t: TestContext) => CredentialStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => SqliteStore.open(':memory:', rand(32))],
];

test('a slot handle is 64 bytes with its own version byte', () => {
  const id = slotHandle(rand(63));
  assert.equal(id.length, 64);
  assert.ok(isSlotHandle(id));
  assert.ok(!isSlotHandle(id.subarray(1)));
  assert.ok(!isSlotHandle(new Uint8Array(64).fill(0x02)));
  assert.throws(() => slotHandle(rand(32)), RangeError);
});

for (const [name, make] of implementations) {
  describe(`credential slots: ${name}`, () => {
    const open = (t: TestContext) => {
      const s = make(t);
      t.after(() => s.close());
      return s;
    };

    test('round-trips every payload field and counts slots', (t) => {
      const s = open(t);
      const a = slot({ credBlob: rand(16), hmacSecret: true, alg: -7, credProtect: 3 });
      const b = slot({ u2f: true, thirdPartyPayment: true });
      s.putSlot(a);
      s.putSlot(b);
      assert.deepEqual(s.getSlot(a.credentialId), a);
      assert.deepEqual(s.getSlot(b.credentialId), b);
      assert.equal(s.getSlot(rand(64)), undefined);
      assert.equal(s.countSlots(), 2);
    });

    test('a discoverable credential frees its slot when deleted or replaced; wipe frees all', (t) => {
      const s = open(t);
      const first = slot({ discoverable: true });
      s.putSlot(first);
      const resident = fullCredential({ credentialId: first.credentialId });
      s.putResident(resident);
      const second = slot({ discoverable: true });
      s.putSlot(second);
      s.putResident(
        fullCredential({ credentialId: second.credentialId, rpId: resident.rpId, userId: resident.userId }),
      );
      assert.equal(s.getSlot(first.credentialId), undefined, 'replaced (same RP and user)');
      assert.equal(s.countSlots(), 1);
      assert.ok(s.deleteResident(second.credentialId));
      assert.equal(s.countSlots(), 0);
      s.putSlot(slot());
      s.wipe();
      assert.equal(s.countSlots(), 0);
    });
  });
}

test('SQLite slots survive a reopen and are sealed at rest', (t) => {
  const file = join(tempDir(t), 'softkey.db');
  const key = rand(32);
  const a = slot({ credBlob: new TextEncoder().encode('visible?') });
  const s = SqliteStore.open(file, key);
  s.putSlot(a);
  s.close();
  const raw = new Database(file, { readonly: true });
  const row = raw.prepare('SELECT sealed FROM credential_slot').get() as { sealed: Buffer };
  raw.close();
  assert.ok(!row.sealed.includes(Buffer.from(a.payload.secret)), 'the key secret is not stored in the clear');
  assert.ok(!row.sealed.includes(Buffer.from('visible?')));
  const again = SqliteStore.open(file, key);
  t.after(() => again.close());
  assert.deepEqual(again.getSlot(a.credentialId), a);
});
