/**
 * FIDO U2F Raw Message Formats v1.2 §6.1 "GetVersion Request and Response": the version string
 * "U2F_V2", no status other than SW_NO_ERROR.
 */
import { U2F_VERSION } from '../ctap1/messages.js';
import { utf8 } from '../encoding/bytes.js';

export function u2fVersion(): Uint8Array {
  return utf8.encode(U2F_VERSION);
}
