/**
 * ECDSA P-256 signatures in the two shapes this boundary meets: the seed's 64-byte "Attest
 * signature" (r ‖ s, 32 bytes each) and the ASN.1 DER `Ecdsa-Sig-Value` (SEQUENCE of two INTEGERs,
 * RFC 3279 §2.2.3) that WebAuthn's ES256 signatures use (WebAuthn L3 §6.5.5).
 */
import { concat } from '../encoding/bytes.js';

/** DER SEQUENCE { r INTEGER, s INTEGER } → r ‖ s (each left-padded to 32 bytes). */
export function derToRawSignature(der: Uint8Array): Uint8Array {
  const fail = (): never => {
    throw new RangeError('not a DER ECDSA P-256 signature');
  };
  if (der[0] !== 0x30 || der[1] !== der.length - 2) fail();
  const out = new Uint8Array(64);
  let offset = 2;
  for (const half of [0, 32]) {
    if (der[offset] !== 0x02) fail();
    const length = der[offset + 1]!;
    let value = der.subarray(offset + 2, offset + 2 + length);
    if (value.length !== length || length === 0) fail();
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) fail();
    out.set(value, half + 32 - value.length);
    offset += 2 + length;
  }
  if (offset !== der.length) fail();
  return out;
}

/** r ‖ s → DER with minimal positive INTEGERs. */
export function rawToDerSignature(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new RangeError('an ECDSA P-256 r ‖ s signature is 64 bytes');
  const integer = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = v[i]! & 0x80 ? concat(new Uint8Array([0]), v.subarray(i)) : v.subarray(i);
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const seq = concat(integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  return concat(new Uint8Array([0x30, seq.length]), seq);
}
