/** openDataDir: persistence across restarts, file modes, and refusing a bad master key. */
import assert from 'node:assert/strict';
import { COUNTER_RESERVATION } from '../../src/store/sqliteStore.js';
import { chmodSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE, openDataDir } from '../../src/store/dataDir.js';
import { MasterKeyError } from '../../src/store/masterKey.js';
import { StoreDecryptError } from '../../src/store/sealing.js';
import { fullCredential, minimalCredential, rand, tempDir } from './helpers.js';

const posix = process.platform !== 'win32';

test('creates the directory 0700, master.key 0600 and softkey.db in WAL mode', { skip: !posix }, (t) => {
  const dir = join(tempDir(t), 'dot-softkey');
  const d = openDataDir(dir);
  t.after(() => d.close());
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
  assert.ok(statSync(join(dir, DATABASE_FILE)).isFile());
  assert.equal(d.store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(d.store.db.pragma('synchronous', { simple: true }), 1, 'synchronous = NORMAL');
});

test('everything persists across close and reopen of the same data dir', (t) => {
  const dir = tempDir(t);
  const a = fullCredential();
  const b = minimalCredential();
  const replacedUser = fullCredential({ rpId: 'r.example' });
  const replacement = fullCredential({ rpId: 'r.example', userId: replacedUser.userId });
  const loose = rand(97);
  const blob = rand(300);
  const seed = rand(64);

  const d1 = openDataDir(dir);
  d1.store.putResident(a);
  d1.store.putResident(b);
  d1.store.putResident(replacedUser);
  d1.store.putResident(replacement);
  d1.store.incrementCounter(a.credentialId, 41);
  d1.store.incrementCounter(loose);
  d1.store.setState('pinRetries', 7);
  d1.store.setLargeBlobArray(blob);
  d1.vault.set('walletSeed', seed);
  const wrap = d1.vault.secret('credentialWrapKey', () => rand(32));
  d1.close();
  d1.close(); // idempotent

  const d2 = openDataDir(dir);
  t.after(() => d2.close());
  assert.deepEqual(d2.store.getResident(a.credentialId), a);
  assert.deepEqual(d2.store.getResident(b.credentialId), b);
  assert.equal(d2.store.getResident(replacedUser.credentialId), undefined);
  assert.deepEqual(
    d2.store.listAllResident().map((c) => c.credentialId),
    [replacement.credentialId, b.credentialId, a.credentialId],
  );
  assert.equal(d2.store.getCounter(a.credentialId), 41);
  assert.equal(d2.store.incrementCounter(a.credentialId), 42);
  assert.equal(d2.store.getCounter(loose), 1);
  assert.equal(d2.store.getState<number>('pinRetries'), 7);
  assert.deepEqual(d2.store.getLargeBlobArray(), blob);
  assert.deepEqual(d2.vault.get('walletSeed'), seed);
  assert.deepEqual(
    d2.vault.secret('credentialWrapKey', () => assert.fail('must not be created again')),
    wrap,
  );
});

test('commits survive a process killed without closing the database (SIGKILL)', (t) => {
  const dir = tempDir(t);
  const id = rand(129);
  const c = fullCredential();
  // Runs from test/ (tsx) or from dist/test/ (compiled): import the sibling source of the same kind.
  const compiled = import.meta.url.endsWith('.js');
  const module = new URL(`../../src/store/dataDir.${compiled ? 'js' : 'ts'}`, import.meta.url).href;
  // Uint8Arrays cross to the child as {"$bytes": [...]}.
  const payload = JSON.stringify({ dir, id, c }, (_k, v: unknown) =>
    v instanceof Uint8Array ? { $bytes: [...v] } : v,
  );
  const script = `
    import { openDataDir } from ${JSON.stringify(module)};
    const { dir, id, c } = JSON.parse(process.env.PAYLOAD, (_k, v) => (v && v.$bytes ? Uint8Array.from(v.$bytes) : v));
    const d = openDataDir(dir);
    for (let i = 0; i < 5; i++) d.store.incrementCounter(id);
    d.store.putResident(c);
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(
    process.execPath,
    [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      env: { ...process.env, PAYLOAD: payload },
    },
  );
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.ok(existsSync(join(dir, `${DATABASE_FILE}-wal`)), 'the WAL was left un-checkpointed, as after a crash');
  const d = openDataDir(dir);
  t.after(() => d.close());
  // Counters are persisted as a reserved ceiling: after a crash they never go backwards and jump by less than the reservation.
  const afterCrash = d.store.getCounter(id);
  assert.ok(afterCrash >= 5 && afterCrash < 5 + COUNTER_RESERVATION, `counter after crash ${afterCrash}`);
  assert.deepEqual(d.store.getResident(c.credentialId), c);
});

test('a world-readable master.key stops openDataDir with the chmod hint', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  openDataDir(dir).close();
  chmodSync(join(dir, 'master.key'), 0o644);
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof MasterKeyError && /chmod 600/.test(e.message),
  );
});

test('a master.key that does not belong to the database is refused at open', (t) => {
  const dir = tempDir(t);
  const d = openDataDir(dir);
  d.store.putResident(fullCredential());
  d.close();
  writeFileSync(join(dir, 'master.key'), rand(32), { mode: 0o600 });
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof StoreDecryptError && /different master key/.test(e.message),
  );
});

test('a database without its master.key is refused rather than given a new key', (t) => {
  const dir = tempDir(t);
  openDataDir(dir).close();
  renameSync(join(dir, 'master.key'), join(dir, 'master.key.bak'));
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof MasterKeyError && /master\.key is missing/.test(e.message),
  );
  renameSync(join(dir, 'master.key.bak'), join(dir, 'master.key'));
  openDataDir(dir).close();
});

test('sealed records are bound to their row: swapping two sealed payloads is detected', (t) => {
  const dir = tempDir(t);
  const a = fullCredential();
  const b = fullCredential();
  const d = openDataDir(dir);
  d.store.putResident(a);
  d.store.putResident(b);
  d.vault.set('one', rand(32));
  d.vault.set('two', rand(32));
  d.close();

  const raw = new Database(join(dir, DATABASE_FILE));
  const sealedOf = (id: Uint8Array): Buffer =>
    (raw.prepare('SELECT sealed FROM resident WHERE credential_id = ?').get(id) as { sealed: Buffer }).sealed;
  const sa = sealedOf(a.credentialId);
  raw.prepare('UPDATE resident SET sealed = ? WHERE credential_id = ?').run(sealedOf(b.credentialId), a.credentialId);
  raw.prepare('UPDATE resident SET sealed = ? WHERE credential_id = ?').run(sa, b.credentialId);
  const one = raw.prepare("SELECT sealed FROM secrets WHERE name = 'one'").get() as { sealed: Buffer };
  raw.prepare("UPDATE secrets SET sealed = ? WHERE name = 'two'").run(one.sealed);
  raw.close();

  const d2 = openDataDir(dir);
  t.after(() => d2.close());
  assert.throws(() => d2.store.getResident(a.credentialId), StoreDecryptError);
  assert.throws(() => d2.store.listAllResident(), /cannot decrypt resident credential record/);
  assert.throws(() => d2.vault.get('two'), /cannot decrypt secret "two"/);
  assert.equal(d2.vault.get('one')!.length, 32);
});

test("':memory:' gives a working throwaway device", (t) => {
  const d = openDataDir(':memory:');
  t.after(() => d.close());
  const c = fullCredential();
  d.store.putResident(c);
  d.vault.set('k', rand(8));
  assert.deepEqual(d.store.getResident(c.credentialId), c);
  assert.equal(d.vault.get('k')!.length, 8);
});
