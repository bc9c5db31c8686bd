/**
 * "No secret bytes in plaintext": credBlob, largeBlobKey, the user entity (ID, name, display name),
 * state, the large-blob array and vault secrets are recognisable strings; none of them (raw, hex or
 * base64) may appear in the raw softkey.db, -wal or -shm files, while the deliberately plaintext
 * columns (RP ID, credential ID) do (positive control).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATABASE_FILE, openDataDir } from '../../src/store/dataDir.js';
import { fullCredential, rand, tempDir } from './helpers.js';

function forms(secret: Uint8Array): Buffer[] {
  const b = Buffer.from(secret);
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(b.toString('base64')),
  ];
}

function rawFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    const f = join(dir, DATABASE_FILE + suffix);
    if (existsSync(f)) out.set(suffix || '.db', readFileSync(f));
  }
  return out;
}

function assertAbsent(files: Map<string, Buffer>, secrets: Map<string, Uint8Array>): void {
  for (const [file, bytes] of files) {
    for (const [what, secret] of secrets) {
      for (const form of forms(secret)) assert.equal(bytes.indexOf(form), -1, `${what} found in ${file}`);
    }
  }
}

function present(files: Map<string, Buffer>, needle: Uint8Array): boolean {
  return [...files.values()].some((b) => b.indexOf(Buffer.from(needle)) !== -1);
}

test('no secret bytes appear in softkey.db or its WAL, before or after close', (t) => {
  const dir = tempDir(t);
  const d = openDataDir(dir);
  const secrets = new Map<string, Uint8Array>();
  const creds = Array.from({ length: 5 }, (_, i) => {
    const c = fullCredential({
      rpId: `plaintext-marker-${i}.example`,
      userName: `sealed-user-name-${i}`,
      userDisplayName: `Sealed Display ${i}`,
    });
    secrets.set(`credBlob ${i}`, c.credBlob!);
    secrets.set(`largeBlobKey ${i}`, c.largeBlobKey!);
    secrets.set(`user ID ${i}`, c.userId);
    secrets.set(`user name ${i}`, new TextEncoder().encode(c.userName!));
    secrets.set(`user display name ${i}`, new TextEncoder().encode(c.userDisplayName!));
    d.store.putResident(c);
    return c;
  });
  for (const [name, n] of [
    ['credentialWrapKey', 32],
    ['hmacSecretKey', 32],
    ['attestationKey', 32],
    ['walletSeed', 64],
  ] as const) {
    const value = rand(n);
    secrets.set(`vault ${name}`, value);
    d.vault.set(name, value);
  }
  const created = d.vault.secret('created', () => rand(32));
  secrets.set('vault created', created);
  const pinHash = rand(16);
  secrets.set('state pinHash', pinHash);
  d.store.setState('pin', { pinHash: Buffer.from(pinHash).toString('hex'), retries: 8 });
  const largeBlob = rand(512);
  secrets.set('large-blob array', largeBlob);
  d.store.setLargeBlobArray(largeBlob);
  for (const c of creds) d.store.incrementCounter(c.credentialId);

  const whileOpen = rawFiles(dir);
  assert.ok(whileOpen.has('-wal'), 'the WAL exists while the database is open');
  assert.ok(present(whileOpen, Buffer.from('plaintext-marker-3')), 'positive control: RP IDs are stored in the clear');
  assert.ok(present(whileOpen, creds[0]!.credentialId), 'positive control: credential IDs are stored as-is');
  assertAbsent(whileOpen, secrets);

  d.close();
  const afterClose = rawFiles(dir);
  assert.ok(present(afterClose, Buffer.from('plaintext-marker-3')), 'positive control after close');
  assertAbsent(afterClose, secrets);
});

test('after wipe and close, deleted plaintext rows are gone from softkey.db (secure_delete)', (t) => {
  const dir = tempDir(t);
  const d = openDataDir(dir);
  for (let i = 0; i < 3; i++) d.store.putResident(fullCredential({ rpId: `wiped-user-${i}.example` }));
  d.close();
  assert.ok(present(rawFiles(dir), Buffer.from('wiped-user-1')), 'positive control: present before the wipe');
  const d2 = openDataDir(dir);
  d2.store.wipe();
  d2.close();
  const files = rawFiles(dir);
  assert.equal(files.has('-wal'), false, 'the WAL is checkpointed and removed on close');
  assert.equal(present(files, Buffer.from('wiped-user-')), false);
});
