/**
 * The CredentialStore contract, run against MemoryStore (the reference) and SqliteStore (in memory
 * and on disk), so both implementations provably behave the same.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { CredentialStore } from '../../src/store/credentialStore.js';
import { MemoryStore } from '../../src/store/memoryStore.js';
import { SqliteStore } from '../../src/store/sqliteStore.js';
import { fullCredential, minimalCredential, rand, tempDir } from './helpers.js';
import { sha256 } from '../../src/crypto/hash.js';

const implementations: Array<[string, (t: TestContext) => CredentialStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore :memory:', () => SqliteStore.open(':memory:', rand(32))],
  ['SqliteStore file', (t) => SqliteStore.open(join(tempDir(t), 'softkey.db'), rand(32))],
];

const ids = (creds: Array<{ credentialId: Uint8Array }>): Uint8Array[] => creds.map((c) => c.credentialId);

for (const [name, make] of implementations) {
  describe(`CredentialStore contract: ${name}`, () => {
    const open = (t: TestContext): CredentialStore => {
      const s = make(t);
      t.after(() => s.close());
      return s;
    };

    test('put/get round-trips every field, and absent optionals stay absent', (t) => {
      const s = open(t);
      const full = fullCredential();
      const min = minimalCredential();
      assert.equal(s.putResident(full), undefined);
      assert.equal(s.putResident(min), undefined);
      assert.deepEqual(s.getResident(full.credentialId), full);
      assert.deepEqual(s.getResident(min.credentialId), min);
      assert.equal(s.getResident(rand(129)), undefined);
    });

    test('hmacSecret/thirdPartyPayment false is kept distinct from absent', (t) => {
      const s = open(t);
      const c = minimalCredential({ hmacSecret: false, thirdPartyPayment: true });
      s.putResident(c);
      assert.deepEqual(s.getResident(c.credentialId), c);
    });

    test('returned records are copies', (t) => {
      const s = open(t);
      const c = fullCredential();
      s.putResident(c);
      const got = s.getResident(c.credentialId)!;
      got.rpId = 'evil.com';
      got.userName = 'mallory';
      assert.equal(s.getResident(c.credentialId)!.rpId, 'example.com');
      assert.equal(s.getResident(c.credentialId)!.userName, 'alice@example.com');
    });

    test('putResident replaces by (rpId, userId), returns the replaced ID and drops its counter', (t) => {
      const s = open(t);
      const userId = rand(16);
      const first = fullCredential({ userId });
      const otherRp = fullCredential({ userId, rpId: 'other.example' });
      const otherUser = fullCredential();
      s.putResident(first);
      s.putResident(otherRp);
      s.putResident(otherUser);
      s.incrementCounter(first.credentialId, 5);
      const second = fullCredential({ userId: userId.slice(), userName: 'alice2' });
      assert.deepEqual(s.putResident(second), first.credentialId);
      assert.equal(s.getResident(first.credentialId), undefined);
      assert.equal(s.getCounter(first.credentialId), 0);
      assert.deepEqual(s.getResident(second.credentialId), second);
      assert.deepEqual(s.getResident(otherRp.credentialId), otherRp, 'same user at another RP is kept');
      assert.deepEqual(s.getResident(otherUser.credentialId), otherUser, 'another user at the same RP is kept');
      assert.equal(s.countResident(), 3);
    });

    test('listings are newest first; a replacement becomes the newest', (t) => {
      const s = open(t);
      // Same createdAt everywhere: order must come from insertion order, not timestamps.
      const a = fullCredential({ createdAt: 1 });
      const b = fullCredential({ createdAt: 1, rpId: 'b.example' });
      const c = fullCredential({ createdAt: 1 });
      for (const x of [a, b, c]) s.putResident(x);
      assert.deepEqual(ids(s.listResident('example.com')), [c.credentialId, a.credentialId]);
      assert.deepEqual(ids(s.listAllResident()), [c.credentialId, b.credentialId, a.credentialId]);
      const a2 = fullCredential({ createdAt: 1, userId: a.userId });
      s.putResident(a2);
      assert.deepEqual(ids(s.listResident('example.com')), [a2.credentialId, c.credentialId]);
      assert.deepEqual(ids(s.listAllResident()), [a2.credentialId, c.credentialId, b.credentialId]);
      assert.deepEqual(s.listResident('nobody.example'), []);
      assert.deepEqual(s.listResident('example.com')[0], a2);
    });

    test('listRps counts credentials per RP with the RP name', (t) => {
      const s = open(t);
      s.putResident(fullCredential());
      s.putResident(fullCredential());
      s.putResident(minimalCredential());
      s.putResident(fullCredential({ rpId: 'named.example', rpName: 'Named' }));
      const rps = s.listRps().sort((x, y) => x.rpId.localeCompare(y.rpId));
      assert.deepEqual(rps, [
        { rpId: 'example.com', rpName: 'Example', credentialCount: 2 },
        { rpId: 'example.org', credentialCount: 1 },
        { rpId: 'named.example', rpName: 'Named', credentialCount: 1 },
      ]);
      assert.equal(s.countResident(), 4);
    });

    test('deleteResident removes the credential and its counter, and reports whether it existed', (t) => {
      const s = open(t);
      const c = fullCredential();
      const keep = fullCredential();
      s.putResident(c);
      s.putResident(keep);
      s.incrementCounter(c.credentialId, 3);
      assert.equal(s.deleteResident(c.credentialId), true);
      assert.equal(s.getResident(c.credentialId), undefined);
      assert.equal(s.getCounter(c.credentialId), 0);
      assert.equal(s.deleteResident(c.credentialId), false);
      assert.equal(s.countResident(), 1);
      assert.deepEqual(s.listRps(), [{ rpId: 'example.com', rpName: 'Example', credentialCount: 1 }]);
    });

    test('updateUser changes user fields, clears absent names, keeps the sealed part', (t) => {
      const s = open(t);
      const c = fullCredential();
      s.putResident(c);
      assert.equal(s.updateUser(c.credentialId, { id: c.userId, name: 'bob', displayName: 'Bob' }), true);
      assert.deepEqual(s.getResident(c.credentialId), { ...c, userName: 'bob', userDisplayName: 'Bob' });
      assert.equal(s.updateUser(c.credentialId, { id: c.userId }), true);
      const { userName: _n, userDisplayName: _d, ...rest } = c;
      assert.deepEqual(s.getResident(c.credentialId), rest);
      assert.equal(s.updateUser(rand(129), { id: rand(4), name: 'x' }), false);
    });

    test('counters work for any credential ID, resident or not', (t) => {
      const s = open(t);
      const id = rand(97);
      assert.equal(s.getCounter(id), 0);
      assert.equal(s.incrementCounter(id), 1);
      assert.equal(s.incrementCounter(id), 2);
      assert.equal(s.incrementCounter(id, 10), 12);
      assert.equal(s.getCounter(id), 12);
      s.setCounter(id, 1000);
      assert.equal(s.getCounter(id), 1000);
      const fresh = rand(97);
      s.setCounter(fresh, 7);
      assert.equal(s.incrementCounter(fresh), 8);
      assert.equal(s.getCounter(rand(97)), 0);
    });

    test('state holds JSON values; undefined deletes', (t) => {
      const s = open(t);
      assert.equal(s.getState('pin'), undefined);
      s.setState('pin', { retries: 8, hash: 'ab12', set: true });
      s.setState('n', 3);
      s.setState('list', [1, 'two', null]);
      assert.deepEqual(s.getState('pin'), { retries: 8, hash: 'ab12', set: true });
      assert.equal(s.getState<number>('n'), 3);
      assert.deepEqual(s.getState('list'), [1, 'two', null]);
      s.setState('n', 4);
      assert.equal(s.getState<number>('n'), 4);
      s.setState('n', undefined);
      assert.equal(s.getState('n'), undefined);
      assert.deepEqual(s.getState('pin'), { retries: 8, hash: 'ab12', set: true });
    });

    test('large-blob array: undefined until written, then round-trips and is copied', (t) => {
      const s = open(t);
      assert.equal(s.getLargeBlobArray(), undefined);
      const blob = rand(1024);
      s.setLargeBlobArray(blob);
      const got = s.getLargeBlobArray()!;
      assert.deepEqual(got, blob);
      got[0] = got[0]! ^ 0xff;
      assert.deepEqual(s.getLargeBlobArray(), blob);
      const empty = new Uint8Array([0x80, ...rand(16)]);
      s.setLargeBlobArray(empty);
      assert.deepEqual(s.getLargeBlobArray(), empty);
    });

    test('lookups at scale: kept counts by credProtect level, newest-first cursor, keyed user lookup', (t) => {
      const s = open(t);
      const rpIdHash = sha256(new TextEncoder().encode('scale.example'));
      const levels = [1, 3, 2, 1, 1, 3, 2, 1] as const;
      const creds = levels.map((credProtect, i) =>
        minimalCredential({ rpId: 'scale.example', userId: new Uint8Array([i]), credProtect }),
      );
      s.putResidents(creds);
      s.putResident(minimalCredential({ rpId: 'other.example' }));
      for (const max of [1, 2, 3] as const) {
        const expected = [...creds].reverse().filter((c) => c.credProtect <= max);
        assert.equal(s.countResidentOf({ rpIdHash, maxCredProtect: max }), expected.length);
        const walked: Uint8Array[] = [];
        for (
          let step = s.nextResident({ rpIdHash, maxCredProtect: max });
          step;
          step = s.nextResident({ rpIdHash, maxCredProtect: max }, step.position)
        ) {
          walked.push(step.credential.credentialId);
          assert.deepEqual(step.credential, expected[walked.length - 1]);
        }
        assert.deepEqual(walked, ids(expected));
      }
      assert.equal(s.countResidentOf({ rpIdHash: rand(32), maxCredProtect: 3 }), 0);
      assert.equal(s.nextResident({ rpIdHash: rand(32), maxCredProtect: 3 }), undefined);
      assert.deepEqual(s.findResident(rpIdHash, new Uint8Array([3])), creds[3]!.credentialId);
      assert.equal(s.findResident(rpIdHash, new Uint8Array([99])), undefined);
      assert.equal(s.findResident(sha256(new TextEncoder().encode('other.example')), new Uint8Array([3])), undefined);
      // A cursor after a delete and an insert: the deleted one is skipped, the newer one never reached.
      const first = s.nextResident({ rpIdHash, maxCredProtect: 3 })!;
      s.deleteResident(creds[6]!.credentialId);
      s.putResident(minimalCredential({ rpId: 'scale.example', userId: new Uint8Array([50]) }));
      assert.deepEqual(s.nextResident({ rpIdHash, maxCredProtect: 3 }, first.position)!.credential, creds[5]);
      assert.equal(s.countResidentOf({ rpIdHash, maxCredProtect: 3 }), creds.length);
      assert.equal(s.countResident(), creds.length + 1);
      // putResidents keeps the replacement rule.
      const again = minimalCredential({ rpId: 'scale.example', userId: new Uint8Array([0]), credProtect: 3 });
      s.putResidents([again]);
      assert.equal(s.getResident(creds[0]!.credentialId), undefined);
      // Level 1: users 0, 3, 4, 7 and 50, less user 0 (now level 3).
      assert.equal(s.countResidentOf({ rpIdHash, maxCredProtect: 1 }), 4);
      assert.equal(s.countResidentOf({ rpIdHash, maxCredProtect: 3 }), creds.length);
    });

    test('the resident generation changes with every write and never takes an earlier value', (t) => {
      const s = open(t);
      const seen = new Set([s.residentGeneration()]);
      const fresh = (what: string) => {
        const g = s.residentGeneration();
        assert.ok(!seen.has(g), what);
        seen.add(g);
      };
      const c = fullCredential();
      s.putResident(c);
      fresh('put');
      s.updateUser(c.credentialId, { id: c.userId, name: 'renamed' });
      fresh('update');
      assert.equal(s.getResident(c.credentialId)!.userName, 'renamed');
      s.deleteResident(c.credentialId);
      fresh('delete');
      s.putResident(c);
      fresh('put again');
      s.wipe();
      fresh('wipe');
      s.setState('x', 1);
      s.incrementCounter(c.credentialId);
      assert.ok(seen.has(s.residentGeneration()), 'state and counters are not credential writes');
    });

    test('wipe forgets credentials, counters, state and the large-blob array', (t) => {
      const s = open(t);
      const c = fullCredential();
      const loose = rand(97);
      s.putResident(c);
      s.incrementCounter(c.credentialId);
      s.incrementCounter(loose, 4);
      s.setState('pin', { retries: 8 });
      s.setLargeBlobArray(rand(40));
      s.wipe();
      assert.equal(s.countResident(), 0);
      assert.deepEqual(s.listAllResident(), []);
      assert.deepEqual(s.listRps(), []);
      assert.equal(s.getResident(c.credentialId), undefined);
      assert.equal(s.getCounter(c.credentialId), 0);
      assert.equal(s.getCounter(loose), 0);
      assert.equal(s.getState('pin'), undefined);
      assert.equal(s.getLargeBlobArray(), undefined);
      // Still usable after a wipe.
      s.putResident(c);
      assert.deepEqual(s.getResident(c.credentialId), c);
    });
  });
}
