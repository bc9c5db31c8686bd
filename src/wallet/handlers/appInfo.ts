/**
 * SDK-level commands (filecoin-app.md §1.7), answered before the app sees the APDU:
 *  - `B0 01` app name and version: `01 ‖ len ‖ "Filecoin" ‖ len ‖ "2.3.7" ‖ 01 ‖ flags`.
 *  - `B0 A7` quit app: 9000 (the emulated app keeps running).
 * And the dashboard's device info, `E0 01 00 00` (§1.1 step 2):
 *   targetId[4] ‖ len ‖ SE version ‖ 00 (flags length) ‖ len ‖ MCU version.
 * The flags byte and firmware version strings are not specified ([U]); the values below describe an
 * onboarded device with a validated PIN.
 */
import { concat, u32be, utf8 } from '../../encoding/bytes.js';
import { APP_VERSION, TARGET_ID_NANO_S_PLUS } from './getVersion.js';

export const APP_NAME = 'Filecoin';
/** os_flags(): bit 7 PIN validated, bit 2 onboarded. */
export const OS_FLAGS = 0x80 | 0x04;
export const SE_VERSION = '1.1.0';
export const MCU_VERSION = '5.24';

function lv(s: string): Uint8Array {
  const b = utf8.encode(s);
  return concat(Uint8Array.of(b.length), b);
}

export function appInfo(): Uint8Array {
  const version = `${APP_VERSION.major}.${APP_VERSION.minor}.${APP_VERSION.patch}`;
  return concat(Uint8Array.of(0x01), lv(APP_NAME), lv(version), Uint8Array.of(0x01, OS_FLAGS));
}

export function deviceInfo(): Uint8Array {
  return concat(u32be(TARGET_ID_NANO_S_PLUS), lv(SE_VERSION), Uint8Array.of(0x00), lv(MCU_VERSION));
}
