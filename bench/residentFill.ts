/**
 * Fills a device's store with real discoverable credentials in bulk: each has its own ES256 key,
 * sealed into its credential ID by the device itself (Core.newCredentialId, as makeCredential does in
 * CTAP 2.1 §6.1.2 steps 16–18), and its record is stored through the store port in batches of one
 * transaction each (CredentialStore.putResidents). 100,000 credentials take seconds instead of
 * 100,000 ceremonies, and every one of them signs through getAssertion afterwards.
 */
import type { Core } from '../src/authenticator/core.js';
import { generateCredentialKey } from '../src/crypto/credentialKeys.js';
import { utf8 } from '../src/encoding/bytes.js';
import { CoseAlg, encodeCoseKey } from '../src/encoding/cose.js';
import type { CredProtectLevel, ResidentCredential } from '../src/store/credentialStore.js';

export interface FillOptions {
  rpId: string;
  count: number;
  /** The level of the i-th credential (0-based, oldest first); 1 by default. */
  credProtect?: (i: number) => CredProtectLevel;
  /** The user ID of the i-th credential; `user-<i>` by default (distinct users: nothing replaced). */
  userId?: (i: number) => Uint8Array;
  /** Called with each credential as stored (tests keep them to check signatures). */
  made?: (credential: ResidentCredential, index: number) => void;
  batch?: number;
  /** Called after each batch is stored (the bench's watchdog tick). */
  progress?: () => void;
}

export function fillResident(core: Core, options: FillOptions): void {
  const { rpId, count } = options;
  const rpIdHash = core.rpIdHash(rpId);
  const batchSize = options.batch ?? 5000;
  for (let start = 0; start < count; start += batchSize) {
    const batch: ResidentCredential[] = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const credProtect = options.credProtect?.(i) ?? 1;
      const key = generateCredentialKey(CoseAlg.ES256);
      const payload = { discoverable: true, u2f: false, alg: CoseAlg.ES256, credProtect, secret: key.secret } as const;
      const credentialId = core.newCredentialId(rpIdHash, payload);
      const userId = options.userId?.(i) ?? utf8.encode(`user-${i}`);
      const credential: ResidentCredential = {
        credentialId,
        rpId,
        rpName: 'Scale',
        userId,
        userName: `user${i}@${rpId}`,
        userDisplayName: `User ${i}`,
        alg: CoseAlg.ES256,
        publicKey: encodeCoseKey(key.publicKey),
        credProtect,
        createdAt: core.env.clock.now(),
      };
      batch.push(credential);
      options.made?.(credential, i);
    }
    core.env.store.putResidents(batch);
    options.progress?.();
  }
}
