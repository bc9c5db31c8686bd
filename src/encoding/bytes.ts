/**
 * Byte helpers. Everything below transport/ speaks Uint8Array, never Buffer.
 */

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Copies of 65–1024 bytes come from one shared ArrayBuffer of this size at a time (see copyBytes). */
const POOL_SIZE = 16 * 1024;
const POOLED_MIN = 65;
const POOLED_MAX = 1024;
let pool = new ArrayBuffer(POOL_SIZE);
let poolOffset = 0;

/**
 * A copy of `src[start, end)` as a plain Uint8Array. V8 keeps a typed array of more than 64 bytes
 * off its heap, and allocating, tracking and freeing that memory costs more than the copy; so, as
 * Node's Buffer pool does, copies of 65–1024 bytes are views into a shared 16 KiB ArrayBuffer (8-byte
 * aligned; a new one when it is used up). A copy's `.buffer` is therefore not its own: read it with
 * byteOffset and byteLength (every use here does). The CBOR codec's outputs (a credential ID, a
 * response) are such copies.
 */
export function copyBytes(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  const n = end - start;
  if (n < POOLED_MIN || n > POOLED_MAX) return src.slice(start, end);
  const out = allocBytes(n);
  out.set(src.subarray(start, end));
  return out;
}

/** `n` zero bytes, from the shared pool when 65–1024 (see copyBytes: pooled memory is never handed out twice). */
export function allocBytes(n: number): Uint8Array {
  if (n < POOLED_MIN || n > POOLED_MAX) return new Uint8Array(n);
  if (poolOffset + n > POOL_SIZE) {
    pool = new ArrayBuffer(POOL_SIZE);
    poolOffset = 0;
  }
  const out = new Uint8Array(pool, poolOffset, n);
  poolOffset = (poolOffset + n + 7) & ~7;
  return out;
}

/**
 * The last bytes toHex converted (a copy) and their hex: one request names the same credential ID to
 * several caches keyed by hex (opened IDs, signing keys, counters), and comparing 65 bytes costs
 * less than converting them again.
 */
let lastBytes = new Uint8Array(0);
let lastHex = '';

/** Lowercase hex (node's native encoder on a view of the same memory: ~3× a JS loop for an ID). */
export function toHex(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === lastBytes.length && n >= 16) {
    let i = 0;
    while (i < n && bytes[i] === lastBytes[i]) i++;
    if (i === n) return lastHex;
  }
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('hex');
  if (n >= 16 && n <= 256) {
    lastBytes = bytes.slice();
    lastHex = hex;
  }
  return hex;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError(`invalid hex string`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export const utf8 = {
  encode: (s: string): Uint8Array => textEncoder.encode(s),
  decode: (b: Uint8Array): string => textDecoder.decode(b),
};

export function u16be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

export function u32be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export function readU16be(b: Uint8Array, offset = 0): number {
  return ((b[offset]! << 8) | b[offset + 1]!) >>> 0;
}

export function readU32be(b: Uint8Array, offset = 0): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** Copies a view into a standalone Uint8Array (e.g. a Buffer from node APIs). */
export function toUint8(b: ArrayBufferView | ArrayBuffer): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b.slice(0));
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Asserts a byte array (optionally of one of the given lengths), as noble's abytes does. */
export function abytes(value: unknown, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('expected Uint8Array');
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new TypeError(`expected Uint8Array of length ${lengths.join(' or ')}, got ${value.length}`);
  }
  return value;
}

/** Sequential reader over a byte array; throws RangeError when reading past the end. */
export class ByteReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.offset + n > this.bytes.length) throw new RangeError('read past end of buffer');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16be(): number {
    return readU16be(this.take(2));
  }
  u32be(): number {
    return readU32be(this.take(4));
  }
  rest(): Uint8Array {
    return this.take(this.remaining);
  }
}
