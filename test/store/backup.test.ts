/** softkey backup / restore (store/backup.ts): one 0600 file with the master key; restore only when no device owns the directory. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { backupDataDir, restoreDataDir } from '../../src/store/backup.js';
import { DATABASE_FILE, openDataDir } from '../../src/store/dataDir.js';
import { DataDirLockedError, DataDirStateError } from '../../src/store/storeErrors.js';
import { fullCredential, rand, tempDir } from './helpers.js';

test('a backup taken while the directory is open restores every credential, counter, state and secret elsewhere', async (t) => {
  const dir = tempDir(t);
  const creds = [fullCredential(), fullCredential({ rpId: 'b.example' })];
  const seed = rand(64);
  const d = openDataDir(dir);
  for (const c of creds) d.store.putResident(c);
  d.store.setCounter(creds[0]!.credentialId, 17);
  d.store.setState('pinRetries', 5);
  d.vault.set('walletSeed', seed);
  const file = join(tempDir(t), 'softkey.backup');
  // Online: the directory stays open (as under a running device), and is written during the backup.
  const pending = backupDataDir(dir, file);
  d.store.putResident(fullCredential({ rpId: 'during.example' }));
  const summary = await pending;
  d.close();
  assert.equal(summary.file, file);
  assert.ok(summary.residentCredentials >= 2);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the backup holds the master key: 0600');
  assert.equal(existsSync(`${file}-wal`), false, 'one self-contained file');
  const raw = new Database(file, { readonly: true });
  assert.equal(
    (raw.prepare("SELECT length(value) AS n FROM meta WHERE key = 'backup.master_key'").get() as { n: number }).n,
    32,
  );
  raw.close();

  const target = join(tempDir(t), 'restored');
  const r = await restoreDataDir(file, target);
  assert.equal(r.residentCredentials, summary.residentCredentials);
  const e = openDataDir(target);
  t.after(() => e.close());
  for (const c of creds) assert.deepEqual(e.store.getResident(c.credentialId), c);
  assert.equal(e.store.getCounter(creds[0]!.credentialId), 17);
  assert.equal(e.store.getState<number>('pinRetries'), 5);
  assert.deepEqual(e.vault.get('walletSeed'), seed);
  assert.equal(statSync(join(target, 'master.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(target, DATABASE_FILE)).mode & 0o777, 0o600);
  const restored = e.store.db.prepare("SELECT COUNT(*) AS n FROM meta WHERE key = 'backup.master_key'").get() as {
    n: number;
  };
  assert.equal(restored.n, 0, 'the restored database does not keep a copy of the master key');
});

test('restore is refused while a device owns the directory, and over an existing database unless asked', async (t) => {
  const dir = tempDir(t);
  const d = openDataDir(dir);
  const old = fullCredential({ rpId: 'old.example' });
  d.store.putResident(old);
  d.close();
  const file = join(tempDir(t), 'b.softkey');
  await backupDataDir(dir, file);

  const target = tempDir(t);
  const current = fullCredential({ rpId: 'current.example' });
  const owner = openDataDir(target);
  owner.store.putResident(current);
  await assert.rejects(
    restoreDataDir(file, target),
    (e: unknown) => e instanceof DataDirLockedError && e.message.includes(`pid ${process.pid}`),
  );
  owner.close();
  await assert.rejects(
    restoreDataDir(file, target),
    (e: unknown) => e instanceof DataDirStateError && /already holds a database/.test(e.message),
  );
  const r = await restoreDataDir(file, target, { replace: true });
  assert.ok(
    r.replacedInto && existsSync(join(r.replacedInto, DATABASE_FILE)) && existsSync(join(r.replacedInto, 'master.key')),
    'the replaced files are kept',
  );
  const after = openDataDir(target);
  assert.deepEqual(after.store.getResident(old.credentialId), old);
  assert.equal(after.store.getResident(current.credentialId), undefined);
  after.close();
  // The moved-aside directory still opens as the data directory it was.
  const aside = openDataDir(r.replacedInto);
  assert.deepEqual(aside.store.getResident(current.credentialId), current);
  aside.close();
});

test('restore refuses a file that is not a softkey backup before touching the directory', async (t) => {
  const target = tempDir(t);
  const notDb = join(tempDir(t), 'x');
  writeFileSync(notDb, 'hello, this is not a database at all'.repeat(10));
  await assert.rejects(
    restoreDataDir(notDb, target),
    (e: unknown) => e instanceof DataDirStateError && /not a softkey backup/.test(e.message),
  );
  // A plain softkey.db (no master key inside) is not a backup either.
  const dir = tempDir(t);
  openDataDir(dir).close();
  await assert.rejects(restoreDataDir(join(dir, DATABASE_FILE), target), (e: unknown) =>
    /holds no master key/.test((e as Error).message),
  );
  assert.deepEqual(readdirSync(target), []);
});

test('the lost-database refusal is undone by restoring a backup', async (t) => {
  const dir = tempDir(t);
  const c = fullCredential();
  const d = openDataDir(dir);
  d.store.putResident(c);
  d.close();
  const file = join(tempDir(t), 'b');
  await backupDataDir(dir, file);
  writeFileSync(join(dir, DATABASE_FILE), '');
  assert.throws(() => openDataDir(dir), DataDirStateError);
  await restoreDataDir(file, dir);
  const e = openDataDir(dir);
  assert.deepEqual(e.store.getResident(c.credentialId), c);
  e.close();
});
