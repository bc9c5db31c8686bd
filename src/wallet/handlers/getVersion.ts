/**
 * GET_VERSION, INS 00 (filecoin-app.md §1.4): TEST ‖ MAJOR ‖ MINOR ‖ PATCH ‖ LOCKED ‖ TARGET_ID[4 BE].
 * P1/P2/data ignored. Major stays ≤ 2 (the v2 JS client refuses anything newer).
 *
 * Seed vs spec: the seed's table ends at LOCKED (5 bytes); the spec's 9-byte form with TARGET_ID
 * wins (ledger-js accepts both).
 */
import { u32be } from '../../encoding/bytes.js';

export const APP_VERSION = { major: 2, minor: 3, patch: 7 } as const;
/** Nano S Plus. */
export const TARGET_ID_NANO_S_PLUS = 0x33100004;

export function getVersion(): Uint8Array {
  const out = new Uint8Array(9);
  out.set([0x00, APP_VERSION.major, APP_VERSION.minor, APP_VERSION.patch, 0x00], 0);
  out.set(u32be(TARGET_ID_NANO_S_PLUS), 5);
  return out;
}
