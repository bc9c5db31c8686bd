/** The Vault contract on MemoryVault (reference) and SqliteVault. */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { openDataDir } from '../../src/store/dataDir.js';
import { MemoryVault } from '../../src/store/memoryStore.js';
import type { Vault } from '../../src/store/vault.js';
import { rand, tempDir } from './helpers.js';

const implementations: Array<[string, (t: TestContext) => Vault]> = [
  ['MemoryVault', () => new MemoryVault()],
  [
    'SqliteVault',
    (t) => {
      const d = openDataDir(tempDir(t));
      t.after(() => d.close());
      return d.vault;
    },
  ],
];

for (const [name, make] of implementations) {
  describe(`Vault contract: ${name}`, () => {
    test('secret() creates once, then returns the stored value', (t) => {
      const v = make(t);
      let calls = 0;
      const first = v.secret('wrap', () => (calls++, rand(32)));
      const again = v.secret('wrap', () => (calls++, rand(32)));
      assert.equal(calls, 1);
      assert.deepEqual(again, first);
      assert.deepEqual(v.get('wrap'), first);
    });

    test('get/set/delete', (t) => {
      const v = make(t);
      assert.equal(v.get('seed'), undefined);
      const seed = rand(64);
      v.set('seed', seed);
      assert.deepEqual(v.get('seed'), seed);
      const other = rand(16);
      v.set('seed', other);
      assert.deepEqual(v.get('seed'), other);
      v.set('empty', new Uint8Array(0));
      assert.deepEqual(v.get('empty'), new Uint8Array(0));
      v.delete('seed');
      assert.equal(v.get('seed'), undefined);
      v.delete('never-set');
      assert.deepEqual(v.get('empty'), new Uint8Array(0));
    });

    test('values are copies', (t) => {
      const v = make(t);
      const value = rand(32);
      v.set('k', value);
      const got = v.get('k')!;
      got.fill(0);
      value.fill(1);
      assert.notDeepEqual(v.get('k'), got);
      assert.notDeepEqual(v.get('k'), value);
    });
  });
}

test('SqliteVault uses a fresh nonce per write: the same value seals differently', (t) => {
  const d = openDataDir(tempDir(t));
  t.after(() => d.close());
  const value = rand(32);
  const sealedNow = (): Buffer =>
    (d.store.db.prepare("SELECT sealed FROM secrets WHERE name = 'k'").get() as { sealed: Buffer }).sealed;
  d.vault.set('k', value);
  const s1 = sealedNow();
  d.vault.set('k', value);
  const s2 = sealedNow();
  assert.equal(s1.length, 12 + 32 + 16);
  assert.notDeepEqual(s1.subarray(0, 12), s2.subarray(0, 12));
  assert.notDeepEqual(s1, s2);
  assert.deepEqual(d.vault.get('k'), value);
});
