/** Shared helpers for the store tests: temp data dirs and recognisable credentials. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { ResidentCredential } from '../../src/store/credentialStore.js';

/** A fresh directory under os.tmpdir(), removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'softkey-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function rand(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

let createdAt = 1_700_000_000_000;

/** A resident credential with every field set (override what a test needs). */
export function fullCredential(over: Partial<ResidentCredential> = {}): ResidentCredential {
  return {
    credentialId: rand(129),
    rpId: 'example.com',
    rpName: 'Example',
    userId: rand(16),
    userName: 'alice@example.com',
    userDisplayName: 'Alice',
    alg: -7,
    publicKey: rand(77),
    credProtect: 2,
    credBlob: rand(32),
    largeBlobKey: rand(32),
    hmacSecret: true,
    thirdPartyPayment: false,
    createdAt: createdAt++,
    ...over,
  };
}

/** Only the required fields. */
export function minimalCredential(over: Partial<ResidentCredential> = {}): ResidentCredential {
  return {
    credentialId: rand(97),
    rpId: 'example.org',
    userId: rand(8),
    alg: -8,
    publicKey: rand(44),
    credProtect: 1,
    createdAt: createdAt++,
    ...over,
  };
}
