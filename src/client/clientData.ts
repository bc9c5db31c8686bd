/**
 * CollectedClientData and its serialization (WebAuthn L3 §5.8.1, §5.8.1.2 "Limited Verification
 * Algorithm" / CCDToString): members in the fixed order type, challenge, origin, crossOrigin.
 */
import * as b64u from '../encoding/base64url.js';
import { utf8 } from '../encoding/bytes.js';
import { sha256 } from '../crypto/hash.js';

/** CCDToString: a JSON string with only `"`, `\` and characters below U+0020 escaped. */
function ccdString(s: string): string {
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

export function collectClientData(type: 'webauthn.create' | 'webauthn.get', challenge: Uint8Array, origin: string): ClientData {
  const text =
    `{"type":${ccdString(type)},"challenge":${ccdString(b64u.encode(challenge))},` +
    `"origin":${ccdString(origin)},"crossOrigin":false}`;
  const json = utf8.encode(text);
  return { json, hash: sha256(json) };
}
