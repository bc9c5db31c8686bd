/**
 * Strict CTAP2-canonical CBOR (CTAP 2.1 §8 "Message Encoding", RFC 8949).
 *
 * Why hand-written rather than cbor2: measured on this machine, cbor2 takes ~32 µs to decode and
 * ~130 µs to encode (with length-first key sorting) a getAssertion-sized map, while the whole
 * getAssertion budget is ~35 µs (0.6× a 21 µs ES256 signature). CTAP needs only a small subset
 * (ints, byte/text strings, arrays, maps, true/false/null), so a ~250-line codec is enough.
 * cbor2 stays in the test suite as an independent oracle for this codec.
 *
 * Decoding rejects: non-minimal integers and lengths, indefinite lengths, tags, floats, simple
 * values other than false/true/null, unsorted or duplicate map keys (CTAP2 canonical order:
 * shorter encoded key first, then bytewise), invalid UTF-8, trailing bytes, and containers nested
 * deeper than 4 (the top-level container is depth 1).
 */

import { copyBytes } from './bytes.js';

export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | CborMap;

export type CborKey = number | string;
export type CborMap = Map<CborKey, CborValue>;

/** Anything encode() accepts: plain objects encode as text-keyed maps; undefined members are skipped. */
export type Encodable =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly Encodable[]
  | ReadonlyMap<CborKey, Encodable | undefined>
  | { readonly [key: string]: Encodable | undefined };

export class CborError extends Error {
  override name = 'CborError';
}

export const MAX_NESTING_DEPTH = 4;

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  buf: Uint8Array;
  length = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** A text string's head and UTF-8 bytes; short ASCII strings skip the TextEncoder. */
  text(s: string): void {
    if (s.length < 64) {
      this.ensure(2 + s.length);
      const start = this.length;
      this.head(3, s.length);
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[this.length++] = c;
      }
      if (i === s.length) return;
      this.length = start;
    }
    const b = textEncoder.encode(s);
    this.head(3, b.length);
    this.bytes(b);
  }
  head(major: number, value: number | bigint): void {
    const m = major << 5;
    if (typeof value === 'bigint') {
      if (value <= 0xffffffffn) return this.head(major, Number(value));
      if (value > 0xffffffffffffffffn) throw new CborError('integer out of 64-bit range');
      this.byte(m | 27);
      for (let shift = 56n; shift >= 0n; shift -= 8n) this.byte(Number((value >> shift) & 0xffn));
      return;
    }
    if (value < 24) this.byte(m | value);
    else if (value < 0x100) {
      this.byte(m | 24);
      this.byte(value);
    } else if (value < 0x10000) {
      this.byte(m | 25);
      this.byte(value >>> 8);
      this.byte(value & 0xff);
    } else if (value < 0x100000000) {
      this.byte(m | 26);
      this.byte(value >>> 24);
      this.byte((value >>> 16) & 0xff);
      this.byte((value >>> 8) & 0xff);
      this.byte(value & 0xff);
    } else {
      this.head(major, BigInt(value));
    }
  }
}

const textEncoder = new TextEncoder();

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** compareKeys on two ranges of one array ([aStart, aEnd) and [bStart, bEnd)). */
function compareRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  if (aEnd - aStart !== bEnd - bStart) return aEnd - aStart - (bEnd - bStart);
  for (let i = 0; i < aEnd - aStart; i++)
    if (bytes[aStart + i] !== bytes[bStart + i]) return bytes[aStart + i]! - bytes[bStart + i]!;
  return 0;
}

/**
 * Encoded map keys, remembered: keys are mostly the same few integers and names, and each one is
 * encoded on its own to sort a map. Bounded (keys from a request's map must not grow it forever).
 */
const keyCache = new Map<CborKey, Uint8Array>();
const KEY_CACHE_SIZE = 512;

function encodeKey(k: CborKey): Uint8Array {
  let b = keyCache.get(k);
  if (b) return b;
  const w = new Writer(typeof k === 'string' ? k.length * 3 + 9 : 9);
  encodeInto(w, k);
  b = w.buf.slice(0, w.length);
  if (keyCache.size < KEY_CACHE_SIZE && (typeof k === 'number' || k.length <= 64)) keyCache.set(k, b);
  return b;
}

function encodeInto(w: Writer, value: Encodable): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CborError(`cannot encode non-integer number ${value}`);
    if (value >= 0) w.head(0, value);
    else w.head(1, -1 - value);
  } else if (typeof value === 'bigint') {
    if (value >= 0n) w.head(0, value);
    else w.head(1, -1n - value);
  } else if (typeof value === 'string') {
    w.text(value);
  } else if (typeof value === 'boolean') {
    w.byte(value ? 0xf5 : 0xf4);
  } else if (value === null) {
    w.byte(0xf6);
  } else if (value instanceof Uint8Array) {
    w.head(2, value.length);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.head(4, value.length);
    for (const item of value as readonly Encodable[]) encodeInto(w, item);
  } else {
    encodeMap(
      w,
      value as ReadonlyMap<CborKey, Encodable | undefined> | { readonly [key: string]: Encodable | undefined },
    );
  }
}

/** A map with its keys in canonical order (sorted by their encoding); undefined members are skipped. */
function encodeMap(
  w: Writer,
  value: ReadonlyMap<CborKey, Encodable | undefined> | { readonly [key: string]: Encodable | undefined },
): void {
  const keys: Uint8Array[] = [];
  const values: Encodable[] = [];
  if (value instanceof Map) {
    for (const [k, v] of value as ReadonlyMap<CborKey, Encodable | undefined>) {
      if (v !== undefined) sortedInsert(keys, values, encodeKey(k), v);
    }
  } else {
    const o = value as { readonly [key: string]: Encodable | undefined };
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v !== undefined) sortedInsert(keys, values, encodeKey(k), v);
    }
  }
  w.head(5, keys.length);
  for (let i = 0; i < keys.length; i++) {
    w.bytes(keys[i]!);
    encodeInto(w, values[i]!);
  }
}

/** Insertion into parallel arrays sorted by key (maps are small: a getInfo has 19 members). */
function sortedInsert(keys: Uint8Array[], values: Encodable[], key: Uint8Array, value: Encodable): void {
  let i = keys.length;
  keys.push(key);
  values.push(value);
  for (; i > 0; i--) {
    const c = compareKeys(keys[i - 1]!, key);
    if (c === 0) throw new CborError('duplicate map key');
    if (c < 0) break;
    keys[i] = keys[i - 1]!;
    values[i] = values[i - 1]!;
  }
  keys[i] = key;
  values[i] = value;
}

/** One writer reused by every encode() (a fresh one only when encode() is re-entered). */
let shared: Writer | undefined = new Writer(1024);

/**
 * Encodes canonically (CTAP2 §8: minimal lengths, definite lengths, length-first sorted keys).
 * `prefix`: a byte written before the item (a status or command byte), so that a message of that
 * byte ‖ CBOR is one allocation rather than an encoding and a copy.
 */
export function encode(value: Encodable, prefix?: number): Uint8Array {
  const w = shared ?? new Writer();
  shared = undefined;
  w.length = 0;
  try {
    if (prefix !== undefined) w.byte(prefix);
    encodeInto(w, value);
    return copyBytes(w.buf, 0, w.length);
  } finally {
    // A writer grown for a large item (a large-blob array) is not kept.
    if (w.buf.length <= 64 * 1024) shared = w;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Short ASCII text strings decoded before (map keys such as "id" and "type", "public-key", an RP
 * ID), by an FNV-1a-style hash of their bytes: a request's strings are mostly these, and building a
 * string costs more than comparing one. One string per slot; a different string in the slot replaces it.
 */
const ASCII_SLOTS = 256;
const asciiSeen: Array<string | undefined> = new Array<string | undefined>(ASCII_SLOTS);

function shortAscii(b: Uint8Array, start: number, n: number, hash: number): string {
  const slot = hash & (ASCII_SLOTS - 1);
  const seen = asciiSeen[slot];
  if (seen !== undefined && seen.length === n) {
    let i = 0;
    while (i < n && seen.charCodeAt(i) === b[start + i]) i++;
    if (i === n) return seen;
  }
  const s = String.fromCharCode.apply(null, b.subarray(start, start + n) as unknown as number[]);
  asciiSeen[slot] = s;
  return s;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

class Reader {
  offset = 0;
  /** The major type and additional information of the last head() read. */
  major = 0;
  info = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly maxDepth = MAX_NESTING_DEPTH,
  ) {}

  need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new CborError('unexpected end of input');
  }

  /** Reads an initial byte (into major, info) and returns its argument, enforcing minimal encoding. */
  head(): number | bigint {
    this.need(1);
    const initial = this.bytes[this.offset++]!;
    const major = (this.major = initial >> 5);
    const info = (this.info = initial & 0x1f);
    if (info < 24) return info;
    const b = this.bytes;
    let value: number | bigint;
    if (info === 24) {
      this.need(1);
      value = b[this.offset++]!;
      if (value < 24 && major !== 7) throw new CborError('non-minimal integer encoding');
    } else if (info === 25) {
      this.need(2);
      value = (b[this.offset]! << 8) | b[this.offset + 1]!;
      this.offset += 2;
      if (value < 0x100) throw new CborError('non-minimal integer encoding');
    } else if (info === 26) {
      this.need(4);
      value =
        b[this.offset]! * 0x1000000 + ((b[this.offset + 1]! << 16) | (b[this.offset + 2]! << 8) | b[this.offset + 3]!);
      this.offset += 4;
      if (value < 0x10000) throw new CborError('non-minimal integer encoding');
    } else if (info === 27) {
      this.need(8);
      let v = 0n;
      for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[this.offset + i]!);
      this.offset += 8;
      if (v < 0x100000000n) throw new CborError('non-minimal integer encoding');
      value = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    } else if (info === 31) {
      throw new CborError('indefinite-length items are not allowed');
    } else {
      throw new CborError('reserved additional information value');
    }
    return value;
  }

  length(value: number | bigint): number {
    if (typeof value === 'bigint' || value > this.bytes.length - this.offset) {
      throw new CborError('length exceeds input');
    }
    return value;
  }

  item(depth: number): CborValue {
    const start = this.offset;
    const value = this.head();
    const info = this.info;
    switch (this.major) {
      case 0:
        return value;
      case 1:
        return typeof value === 'bigint' ? -1n - value : -1 - value;
      case 2: {
        const n = this.length(value);
        const out = copyBytes(this.bytes, this.offset, this.offset + n);
        this.offset += n;
        return out;
      }
      case 3: {
        const n = this.length(value);
        const start = this.offset;
        this.offset += n;
        if (n <= 64) {
          // Short ASCII (names, keys, RP IDs): no TextDecoder call, and the ones seen before are not built again.
          const b = this.bytes;
          let hash = n;
          let ascii = true;
          for (let i = start; i < start + n; i++) {
            const c = b[i]!;
            if (c >= 0x80) ascii = false;
            hash = Math.imul(hash ^ c, 0x01000193);
          }
          if (ascii) return shortAscii(b, start, n, hash);
        }
        const view = this.bytes.subarray(start, start + n);
        try {
          return textDecoder.decode(view);
        } catch {
          throw new CborError('invalid UTF-8 in text string');
        }
      }
      case 4: {
        if (depth >= this.maxDepth) throw new CborError(`nesting deeper than ${this.maxDepth}`);
        const n = this.length(value);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.maxDepth) throw new CborError(`nesting deeper than ${this.maxDepth}`);
        const n = this.length(value);
        const out: CborMap = new Map();
        // The previous key's encoded bytes, as a range of the input.
        let previousStart = -1;
        let previousEnd = -1;
        for (let i = 0; i < n; i++) {
          const keyStart = this.offset;
          const key = this.item(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'string') {
            throw new CborError('map keys must be integers or text strings');
          }
          if (previousStart >= 0 && compareRanges(this.bytes, previousStart, previousEnd, keyStart, this.offset) >= 0) {
            throw new CborError('map keys are not in canonical order or are duplicated');
          }
          previousStart = keyStart;
          previousEnd = this.offset;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        throw new CborError('tags are not allowed');
      default: {
        // major 7
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info >= 25 && info <= 27) throw new CborError('floating-point values are not allowed');
        throw new CborError(`unsupported simple value at offset ${start}`);
      }
    }
  }
}

/**
 * Decodes exactly one item spanning all of `bytes`. Throws CborError on anything non-canonical.
 * `maxDepth`: CTAP2's limit of 4 by default; a host reading responses allows more (a compound
 * attestation statement, WebAuthn L3 §8.9, nests six deep in a makeCredential response).
 */
export function decode(bytes: Uint8Array, maxDepth = MAX_NESTING_DEPTH): CborValue {
  const r = new Reader(bytes, maxDepth);
  const value = r.item(0);
  if (r.offset !== bytes.length) throw new CborError('trailing bytes after CBOR item');
  return value;
}

/** Decodes the first item and returns it with the number of bytes it used (for authData extensions). */
export function decodeFirst(bytes: Uint8Array): [CborValue, number] {
  const r = new Reader(bytes);
  const value = r.item(0);
  return [value, r.offset];
}

export function isMap(v: CborValue | undefined): v is CborMap {
  return v instanceof Map;
}
