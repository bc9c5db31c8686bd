/**
 * RFC 8949 §8 "Diagnostic Notation" for the values our CBOR codec decodes: maps `{1: h'00ff'}`,
 * arrays `[1, "a"]`, byte strings `h'…'`, text strings as JSON strings, true/false/null. Used by the
 * device panel's trace. Long byte strings are shortened (`h'0102…' /40 bytes/`) unless asked not to.
 */
import { decode, type CborValue } from './cbor.js';
import { toHex } from './bytes.js';

export interface DiagnosticOptions {
  /** Byte strings longer than this are shortened; default 64. Infinity keeps them whole. */
  maxBytes?: number;
}

export function diagnostic(value: CborValue, options: DiagnosticOptions = {}): string {
  const maxBytes = options.maxBytes ?? 64;
  const print = (v: CborValue): string => {
    if (v === null) return 'null';
    if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (v instanceof Uint8Array) {
      if (v.length <= maxBytes) return `h'${toHex(v)}'`;
      return `h'${toHex(v.subarray(0, maxBytes))}…' /${v.length} bytes/`;
    }
    if (Array.isArray(v)) return `[${v.map(print).join(', ')}]`;
    return `{${[...v].map(([k, x]) => `${print(k)}: ${print(x)}`).join(', ')}}`;
  };
  return print(value);
}

/** The diagnostic notation of encoded CBOR, or undefined when the bytes are not (strict) CBOR. */
export function diagnoseBytes(bytes: Uint8Array, options?: DiagnosticOptions): string | undefined {
  try {
    return diagnostic(decode(bytes), options);
  } catch {
    return undefined;
  }
}
