/**
 * CollectedClientData and its serialization (WebAuthn L3 §5.8.1, §5.8.1.2 "Limited Verification
 * Algorithm" / CCDToString): members in the fixed order type, challenge, origin, crossOrigin, then
 * topOrigin, present only for a caller in a cross-origin frame (§5.8.1 topOrigin; §5.1.3 step 10).
 */
import * as b64u from '../encoding/base64url.js';
import { sha256 } from '../crypto/hash.js';

/** Whether CCDToString escapes any character of `s` (usually none: origins, base64url challenges, types). */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/** CCDToString: a JSON string with only `"`, `\` and characters below U+0020 escaped. */
function ccdString(s: string): string {
  if (!needsEscape(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

export interface ClientData {
  json: Uint8Array;
  hash: Uint8Array;
}

/** The members of CollectedClientData, in their serialization order. */
export interface ClientDataMembers {
  type: string;
  challenge: Uint8Array;
  origin: string;
  crossOrigin: boolean;
  topOrigin?: string;
}

/** `topOrigin`: the top-level origin when it is not the caller's (the caller is a cross-origin frame). */
export function collectClientData(
  type: 'webauthn.create' | 'webauthn.get',
  challenge: Uint8Array,
  origin: string,
  topOrigin?: string,
): ClientData {
  return serializeClientData(clientDataMembers(type, challenge, origin, topOrigin));
}

export function clientDataMembers(
  type: string,
  challenge: Uint8Array,
  origin: string,
  topOrigin?: string,
): ClientDataMembers {
  const cross = topOrigin !== undefined && topOrigin !== origin;
  return { type, challenge, origin, crossOrigin: cross, ...(cross && { topOrigin }) };
}

export function serializeClientData(m: ClientDataMembers): ClientData {
  const text =
    `{"type":${ccdString(m.type)},"challenge":${ccdString(b64u.encode(m.challenge))},` +
    `"origin":${ccdString(m.origin)},"crossOrigin":${m.crossOrigin}` +
    `${m.topOrigin !== undefined ? `,"topOrigin":${ccdString(m.topOrigin)}` : ''}}`;
  // Node's Buffer pool holds short strings' bytes (a clientDataJSON is ~130): cheaper than a
  // TextEncoder's own off-heap array. `json` is a plain view of them (read with its byteOffset).
  const b = Buffer.from(text, 'utf8');
  const json = new Uint8Array(b.buffer, b.byteOffset, b.length);
  return { json, hash: sha256(json) };
}
