/** Integrity at open (store/dataDir.ts, database.ts): lost or damaged data is refused, never started over. */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATABASE_FILE, openDataDir } from '../../src/store/dataDir.js';
import { DataDirStateError, StoreCorruptError } from '../../src/store/storeErrors.js';
import { fullCredential, tempDir } from './helpers.js';

function withCredentials(dir: string, n: number): void {
  const d = openDataDir(dir);
  for (let i = 0; i < n; i++) d.store.putResident(fullCredential({ rpId: `rp${i}.example` }));
  d.close();
}

test('a master key with a database truncated to 0 bytes is refused, and the empty file stays empty', (t) => {
  const dir = tempDir(t);
  withCredentials(dir, 3);
  const keyBefore = readFileSync(join(dir, 'master.key'));
  truncateSync(join(dir, DATABASE_FILE), 0);
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) =>
      e instanceof DataDirStateError &&
      /empty \(0 bytes\)/.test(e.message) &&
      e.message.includes(join(dir, DATABASE_FILE)) &&
      /softkey restore/.test(e.message),
  );
  assert.equal(statSync(join(dir, DATABASE_FILE)).size, 0, 'nothing was written over the lost data');
  assert.deepEqual(readFileSync(join(dir, 'master.key')), keyBefore);
});

test('a master key whose database is missing is refused; no database is created', (t) => {
  const dir = tempDir(t);
  withCredentials(dir, 1);
  for (const f of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`])
    rmSync(join(dir, f), { force: true });
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof DataDirStateError && /is missing/.test(e.message),
  );
  assert.throws(() => statSync(join(dir, DATABASE_FILE)), /ENOENT/);
});

test('a database with damaged pages is refused at open (PRAGMA quick_check) with the file named', (t) => {
  const dir = tempDir(t);
  withCredentials(dir, 60);
  const file = join(dir, DATABASE_FILE);
  const pageSize = 4096;
  const pages = statSync(file).size / pageSize;
  assert.ok(pages >= 4, `${pages} pages`);
  // Overwrite the middle of a b-tree page past the schema (page 1) with garbage.
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(600, 0xa5), 0, 600, 2 * pageSize + 8);
  closeSync(fd);
  const before = readFileSync(file);
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof StoreCorruptError && e.message.includes(file) && /damaged/.test(e.message),
  );
  assert.deepEqual(readFileSync(file), before, 'the damaged file is left as it is');
});

test('a file that is not a database is refused as damaged', (t) => {
  const dir = tempDir(t);
  withCredentials(dir, 1);
  const file = join(dir, DATABASE_FILE);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(100, 0x42), 0, 100, 0);
  closeSync(fd);
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) => e instanceof StoreCorruptError && e.message.includes(file),
  );
});
