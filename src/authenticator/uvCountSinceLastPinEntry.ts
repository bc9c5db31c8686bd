/**
 * CTAP 2.3 §6.4 getInfo uvCountSinceLastPinEntry (0x17): how many built-in user verifications
 * succeeded since the PIN was last entered correctly, so a platform can ask for the PIN again after
 * many biometric uses. Persisted in the store's small state (it counts across power cycles);
 * authenticatorReset wipes it with the store.
 */
import type { Core } from './core.js';

const STATE_KEY = 'uvCountSinceLastPinEntry';

interface UvCountRecord {
  v: 1;
  count: number;
}

export function uvCountSinceLastPinEntry(core: Core): number {
  const r = core.env.store.getState<UvCountRecord>(STATE_KEY);
  if (r && r.v !== 1) throw new Error(`unknown uvCountSinceLastPinEntry state version ${String(r.v)}`);
  return r?.count ?? 0;
}

/** A built-in UV succeeded (performBuiltInUv). */
export function countBuiltInUv(core: Core): void {
  core.env.store.setState<UvCountRecord>(STATE_KEY, { v: 1, count: uvCountSinceLastPinEntry(core) + 1 });
}

/** The PIN was entered correctly (clientPIN's pinHashEnc check). */
export function pinEntered(core: Core): void {
  if (uvCountSinceLastPinEntry(core) !== 0) core.env.store.setState<UvCountRecord>(STATE_KEY, { v: 1, count: 0 });
}
