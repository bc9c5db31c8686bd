/** RFC 4648 §5 base64url without padding, as WebAuthn's JSON forms use. */

/**
 * Node's native base64url writer behind Buffer#toString('base64url'), called on the bytes as they
 * are: it takes any ArrayBufferView, so no Buffer object is made per call (a sign-in encodes five
 * fields; the load.ceremonies profile). Absent from a runtime that lacks it: then through a Buffer.
 */
const base64urlSlice = (Buffer.prototype as { base64urlSlice?: (start: number, end: number) => string }).base64urlSlice;

export function encode(bytes: Uint8Array): string {
  if (base64urlSlice) return base64urlSlice.call(bytes, 0, bytes.byteLength);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function decode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError('invalid base64url string');
  const b = Buffer.from(text, 'base64url');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
