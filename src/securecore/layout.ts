/**
 * Fixed-layout field helpers for the secure-core messages (seed 004): every field sits at a fixed
 * byte offset with a fixed size. Integers are little-endian unless a field says big-endian; text is
 * UTF-8 in a NUL-padded field that always keeps room for its terminating NUL (a C string).
 * Readers check what they read and throw SecureCoreMessageError naming the field.
 */
import { utf8 } from '../encoding/bytes.js';

export type SecureCoreErrorReason =
  | 'truncated' // shorter than the envelope or than the message's fixed layout
  | 'envelope' // bytes 0–1 are not 0x0009 (FIDO2), or bytes 6–7 (reserved) are not zero
  | 'length' // bytes 2–3 do not match the message's length
  | 'type' // bytes 4–5 name no message this codec knows
  | 'field'; // a field's value is outside its range, or padding is not zero

export class SecureCoreMessageError extends Error {
  constructor(
    readonly reason: SecureCoreErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'SecureCoreMessageError';
  }
}

const fail = (field: string, why: string): never => {
  throw new SecureCoreMessageError('field', `${field}: ${why}`);
};

export function putU16le(b: Uint8Array, offset: number, v: number): void {
  b[offset] = v & 0xff;
  b[offset + 1] = (v >>> 8) & 0xff;
}
export function getU16le(b: Uint8Array, offset: number): number {
  return b[offset]! | (b[offset + 1]! << 8);
}
export function putU32le(b: Uint8Array, offset: number, v: number): void {
  for (let i = 0; i < 4; i++) b[offset + i] = (v >>> (8 * i)) & 0xff;
}
export function getU32le(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
}
export function putU32be(b: Uint8Array, offset: number, v: number): void {
  for (let i = 0; i < 4; i++) b[offset + i] = (v >>> (8 * (3 - i))) & 0xff;
}
export function getU32be(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** Writes exactly `size` bytes (checked by the encoder's caller contract). */
export function putBytes(b: Uint8Array, offset: number, size: number, value: Uint8Array, field: string): void {
  if (value.length !== size) throw new RangeError(`${field} must be ${size} bytes, got ${value.length}`);
  b.set(value, offset);
}
export function getBytes(b: Uint8Array, offset: number, size: number): Uint8Array {
  return b.slice(offset, offset + size);
}

/** Longest prefix of `s` (NULs dropped) whose UTF-8 fits `max` bytes, cut between characters (CTAP 2.1 §6.1.2 allows truncating names). */
export function truncateUtf8(s: string | undefined, max: number): string {
  let out = '';
  let length = 0;
  for (const ch of (s ?? '').replace(/\0/g, '')) {
    length += utf8.encode(ch).length;
    if (length > max) break;
    out += ch;
  }
  return out;
}

/** A C string in a `size`-byte field: at most size − 1 UTF-8 bytes, then NULs. */
export function putText(b: Uint8Array, offset: number, size: number, value: string, field: string): void {
  const bytes = utf8.encode(value);
  if (bytes.length > size - 1) throw new RangeError(`${field} is ${bytes.length} UTF-8 bytes, at most ${size - 1} fit`);
  if (bytes.includes(0)) throw new RangeError(`${field} contains a NUL character`);
  b.set(bytes, offset);
}
export function getText(b: Uint8Array, offset: number, size: number, field: string): string {
  const raw = b.subarray(offset, offset + size);
  const end = raw.indexOf(0);
  if (end < 0) return fail(field, `no terminating NUL in its ${size} bytes`);
  if (raw.subarray(end).some((x) => x !== 0)) fail(field, 'bytes after the terminating NUL are not zero');
  try {
    return utf8.decode(raw.subarray(0, end));
  } catch {
    return fail(field, 'not UTF-8');
  }
}

/** A value of up to `size` bytes followed by a one-byte length at `lengthOffset`. */
export function putSized(
  b: Uint8Array,
  offset: number,
  size: number,
  lengthOffset: number,
  value: Uint8Array,
  field: string,
): void {
  if (value.length > size) throw new RangeError(`${field} is ${value.length} bytes, at most ${size} fit`);
  b.set(value, offset);
  b[lengthOffset] = value.length;
}
export function getSized(b: Uint8Array, offset: number, size: number, lengthOffset: number, field: string): Uint8Array {
  const length = b[lengthOffset]!;
  if (length > size) fail(`${field} length`, `${length} > ${size}`);
  if (b.subarray(offset + length, offset + size).some((x) => x !== 0))
    fail(field, 'bytes after its length are not zero');
  return b.slice(offset, offset + length);
}

export function checkRange(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) fail(field, `${value} is outside 0–${max}`);
  return value;
}

export function checkZero(b: Uint8Array, from: number, to: number, field: string): void {
  if (b.subarray(from, to).some((x) => x !== 0)) fail(field, 'reserved bytes are not zero');
}
