/**
 * A small CBOR (RFC 8949) pull reader with the tolerance of TinyCBOR, the parser inside the Ledger
 * Filecoin app. The project's strict codec (encoding/cbor.ts) would reject what the device accepts
 * (non-minimal heads, indefinite-length strings), so the Filecoin message parser reads with this.
 *
 * Model (TinyCBOR's CborValue): a cursor points at one item inside a container; `advance()` skips
 * the item (validating nested content) and pre-parses the next head, so a malformed head surfaces
 * when the cursor moves onto it. Errors are the two TinyCBOR classes the app distinguishes:
 * `eof` (CborErrorUnexpectedEOF → "Unexpected CBOR EOF") and `invalid` (everything else →
 * "unexpected CBOR error"). Nothing here knows about Filecoin.
 */

export class CborReadError extends Error {
  override name = 'CborReadError';
  constructor(
    readonly kind: 'eof' | 'invalid',
    detail: string,
  ) {
    super(detail);
  }
}

const eof = (what: string) => new CborReadError('eof', `unexpected end of data in ${what}`);
const invalid = (what: string) => new CborReadError('invalid', what);

/** TinyCBOR's CborType numbering (used by the app's "Type: %d" fallback when displaying params). */
export const CBOR_TYPE = {
  integer: 0x00,
  bytes: 0x40,
  text: 0x60,
  array: 0x80,
  map: 0xa0,
  tag: 0xc0,
  simple: 0xe0,
  boolean: 0xf5,
  null: 0xf6,
  undefined: 0xf7,
  halfFloat: 0xf9,
  float: 0xfa,
  double: 0xfb,
  invalid: 0xff,
} as const;
export type CborTypeName = keyof typeof CBOR_TYPE;

export interface CborHead {
  major: number;
  /** Additional information (low 5 bits). */
  ai: number;
  /** The head's argument (length, value or tag); 0 for indefinite lengths. */
  argument: bigint;
  indefinite: boolean;
  /** Offset of the initial byte. */
  start: number;
  /** Offset just after the head. */
  end: number;
}

/** Maximum container nesting while skipping (TinyCBOR's CBOR_PARSER_MAX_RECURSIONS). */
export const MAX_RECURSION = 1024;

/** Reads the head at `offset`; rejects reserved additional info and ill-formed simple values. */
export function readHead(bytes: Uint8Array, offset: number): CborHead {
  if (offset >= bytes.length) throw eof('head');
  const ib = bytes[offset]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai === 31) {
    if (major === 0 || major === 1 || major === 6) throw invalid('indefinite length on an integer or tag');
    if (major === 7) throw invalid('unexpected break');
    return { major, ai, argument: 0n, indefinite: true, start: offset, end: offset + 1 };
  }
  if (ai >= 28) throw invalid('reserved additional information');
  const extra = ai < 24 ? 0 : 1 << (ai - 24);
  if (offset + 1 + extra > bytes.length) throw eof('head');
  let argument: bigint;
  if (ai < 24) argument = BigInt(ai);
  else {
    argument = 0n;
    for (let i = 0; i < extra; i++) argument = (argument << 8n) | BigInt(bytes[offset + 1 + i]!);
  }
  if (major === 7 && ai === 24 && argument < 32n) throw invalid('two-byte simple value below 32');
  return { major, ai, argument, indefinite: false, start: offset, end: offset + 1 + extra };
}

export function typeOfHead(h: CborHead): CborTypeName {
  switch (h.major) {
    case 0:
    case 1:
      return 'integer';
    case 2:
      return 'bytes';
    case 3:
      return 'text';
    case 4:
      return 'array';
    case 5:
      return 'map';
    case 6:
      return 'tag';
    default:
      if (h.ai === 20 || h.ai === 21) return 'boolean';
      if (h.ai === 22) return 'null';
      if (h.ai === 23) return 'undefined';
      if (h.ai === 25) return 'halfFloat';
      if (h.ai === 26) return 'float';
      if (h.ai === 27) return 'double';
      return 'simple';
  }
}

function lengthOf(h: CborHead, bytes: Uint8Array): number {
  // A length that cannot fit in the remaining input is an EOF, as in TinyCBOR.
  if (h.argument > BigInt(bytes.length - h.end)) throw eof('string');
  return Number(h.argument);
}

/** Reads a byte or text string at `offset` (definite or chunked); returns its bytes and end offset. */
export function readString(bytes: Uint8Array, offset: number): { value: Uint8Array; end: number } {
  const h = readHead(bytes, offset);
  if (h.major !== 2 && h.major !== 3) throw invalid('not a string');
  if (!h.indefinite) {
    const n = lengthOf(h, bytes);
    return { value: bytes.subarray(h.end, h.end + n), end: h.end + n };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let pos = h.end;
  for (;;) {
    if (pos >= bytes.length) throw eof('chunked string');
    if (bytes[pos] === 0xff) {
      pos++;
      break;
    }
    const c = readHead(bytes, pos);
    if (c.major !== h.major || c.indefinite) throw invalid('illegal chunk in an indefinite-length string');
    const n = lengthOf(c, bytes);
    chunks.push(bytes.subarray(c.end, c.end + n));
    total += n;
    pos = c.end + n;
  }
  const value = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    value.set(c, o);
    o += c.length;
  }
  return { value, end: pos };
}

/** Skips one complete item at `offset`, validating everything inside; returns its end offset. */
export function skipItem(bytes: Uint8Array, offset: number, depth = 0): number {
  if (depth > MAX_RECURSION) throw invalid('nesting too deep');
  const h = readHead(bytes, offset);
  switch (h.major) {
    case 0:
    case 1:
      return h.end;
    case 2:
    case 3:
      return readString(bytes, offset).end;
    case 4:
    case 5: {
      let pos = h.end;
      if (h.indefinite) {
        let items = 0;
        for (;;) {
          if (pos >= bytes.length) throw eof('indefinite container');
          if (bytes[pos] === 0xff) {
            if (h.major === 5 && items % 2 !== 0) throw invalid('odd number of items in a map');
            return pos + 1;
          }
          pos = skipItem(bytes, pos, depth + 1);
          items++;
        }
      }
      // Each item takes at least one byte, so an oversized count ends in an EOF error.
      const count = h.argument * (h.major === 5 ? 2n : 1n);
      for (let i = 0n; i < count; i++) pos = skipItem(bytes, pos, depth + 1);
      return pos;
    }
    case 6:
      return skipItem(bytes, h.end, depth + 1);
    default:
      return h.end;
  }
}

/**
 * A cursor over the items of a definite-length container (or over a top-level sequence of one
 * item). `head` is the pre-parsed current item, or undefined at the end.
 */
export class CborCursor {
  head: CborHead | undefined;
  private constructor(
    readonly bytes: Uint8Array,
    private pos: number,
    private remaining: number,
  ) {
    this.head = remaining > 0 ? readHead(bytes, pos) : undefined;
  }

  /** TinyCBOR's cbor_parser_init: one top-level item starting at 0 (its head is parsed now). */
  static top(bytes: Uint8Array): CborCursor {
    return new CborCursor(bytes, 0, 1);
  }

  get type(): CborTypeName {
    return this.head ? typeOfHead(this.head) : 'invalid';
  }
  get atEnd(): boolean {
    return this.head === undefined;
  }
  /** Offset of the current item (or just past the last one, at the end). */
  get offset(): number {
    return this.pos;
  }

  /** Number of items of the current definite-length array/map; 'invalid' error when indefinite. */
  containerLength(): number {
    const h = this.head;
    if (!h || (h.major !== 4 && h.major !== 5)) throw invalid('not a container');
    if (h.indefinite) throw invalid('unknown length');
    if (h.argument > 0xffffffffn) throw invalid('container too large');
    return Number(h.argument);
  }

  /** Enters the current array/map (definite or indefinite); map keys and values are separate items. */
  enter(): CborCursor {
    const h = this.head;
    if (!h || (h.major !== 4 && h.major !== 5)) throw invalid('not a container');
    if (h.indefinite) return CborCursor.indefinite(this.bytes, h.end);
    const items = h.argument * (h.major === 5 ? 2n : 1n);
    // Capped: each item takes at least one byte, so the cursor runs into an EOF error first.
    const capped = items > BigInt(this.bytes.length) ? this.bytes.length + 1 : Number(items);
    return new CborCursor(this.bytes, h.end, capped);
  }

  private static indefinite(bytes: Uint8Array, pos: number): CborCursor {
    // Count items up to the break so the cursor can treat it like a definite container.
    let count = 0;
    let p = pos;
    for (;;) {
      if (p >= bytes.length) throw eof('indefinite container');
      if (bytes[p] === 0xff) break;
      p = skipItem(bytes, p, 1);
      count++;
    }
    return new CborCursor(bytes, pos, count);
  }

  /** Steps over the current item (validating it) and pre-parses the next one. */
  advance(): void {
    if (!this.head) throw invalid('advance past the end');
    this.pos = skipItem(this.bytes, this.pos);
    this.remaining--;
    this.head = this.remaining > 0 ? readHead(this.bytes, this.pos) : undefined;
  }

  /** The current integer (major 0 or 1) as a bigint in −2^64..2^64−1. */
  integer(): bigint {
    const h = this.head;
    if (!h || (h.major !== 0 && h.major !== 1)) throw invalid('not an integer');
    return h.major === 0 ? h.argument : -1n - h.argument;
  }

  /** The current byte/text string's bytes (chunks joined). */
  string(): Uint8Array {
    if (!this.head) throw invalid('not a string');
    return readString(this.bytes, this.pos).value;
  }

  /** The tag number of the current tag item. */
  tag(): bigint {
    const h = this.head;
    if (!h || h.major !== 6) throw invalid('not a tag');
    return h.argument;
  }

  /** The end offset of the current item. */
  itemEnd(): number {
    return skipItem(this.bytes, this.pos);
  }
}
