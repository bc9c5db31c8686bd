import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateMasterKey, MASTER_KEY_FILE, MasterKeyError } from '../../src/store/masterKey.js';
import { rand, tempDir } from './helpers.js';

const posix = process.platform !== 'win32';

test('first start creates a 32-byte master.key with mode 0600 in a 0700 directory', { skip: !posix }, (t) => {
  const dir = join(tempDir(t), 'nested', 'data');
  const key = loadOrCreateMasterKey(dir);
  assert.equal(key.length, 32);
  assert.equal(Object.getPrototypeOf(key), Uint8Array.prototype);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const file = join(dir, MASTER_KEY_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(file).size, 32);
  assert.deepEqual(readdirSync(dir), [MASTER_KEY_FILE], 'no temporary file left behind');
});

test('later starts read the same key; two data dirs get different keys', (t) => {
  const dir = tempDir(t);
  const key = loadOrCreateMasterKey(dir);
  assert.deepEqual(loadOrCreateMasterKey(dir), key);
  assert.notDeepEqual(loadOrCreateMasterKey(tempDir(t)), key);
});

test('a group- or world-readable master.key is refused with how to fix it', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  loadOrCreateMasterKey(dir);
  const file = join(dir, MASTER_KEY_FILE);
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    chmodSync(file, mode);
    assert.throws(
      () => loadOrCreateMasterKey(dir),
      (e: unknown) =>
        e instanceof MasterKeyError &&
        e.message.includes(file) &&
        e.message.includes(`mode 0${mode.toString(8)}`) &&
        e.message.includes(`chmod 600 '${file}'`),
    );
  }
  chmodSync(file, 0o600);
  assert.equal(loadOrCreateMasterKey(dir).length, 32, 'accepted again after chmod 600');
  chmodSync(file, 0o400);
  assert.equal(loadOrCreateMasterKey(dir).length, 32, 'read-only for the owner is fine');
});

test('a master.key of the wrong size is refused and never overwritten', (t) => {
  const dir = tempDir(t);
  const file = join(dir, MASTER_KEY_FILE);
  for (const size of [0, 16, 31, 33, 64]) {
    const content = rand(size);
    writeFileSync(file, content, { mode: 0o600 });
    assert.throws(
      () => loadOrCreateMasterKey(dir),
      (e: unknown) => e instanceof MasterKeyError && e.message.includes(`is ${size} bytes, expected 32`),
    );
    assert.equal(statSync(file).size, size);
  }
  assert.ok(existsSync(file));
});
