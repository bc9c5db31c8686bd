/** RFC 4648 §5 base64url without padding, as WebAuthn's JSON forms use. */

export function encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function decode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError('invalid base64url string');
  const b = Buffer.from(text, 'base64url');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
