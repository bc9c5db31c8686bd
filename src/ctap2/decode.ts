/**
 * Typed field access for the CTAP2 maps an extension's input decoder reads (ctap2/extensions.ts): every accessor throws the spec's precise status
 * (CTAP2_ERR_MISSING_PARAMETER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE, CTAP1_ERR_INVALID_LENGTH).
 */
import type { CborKey, CborMap, CborValue } from '../encoding/cbor.js';
import { CtapError, Status } from './status.js';

const unexpected = (what: string) => new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
const missing = (what: string) => new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, what);

export class Fields {
  constructor(
    readonly map: CborMap,
    readonly context: string,
  ) {}
  private name(key: CborKey) {
    return `${this.context}.${key}`;
  }
  has(key: CborKey): boolean {
    return this.map.has(key);
  }
  bytes(key: CborKey): Uint8Array;
  bytes(key: CborKey, optional: true): Uint8Array | undefined;
  bytes(key: CborKey, optional?: boolean): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      if (optional) return undefined;
      throw missing(this.name(key));
    }
    if (!(v instanceof Uint8Array)) throw unexpected(`${this.name(key)} must be a byte string`);
    return v;
  }
  text(key: CborKey): string;
  text(key: CborKey, optional: true): string | undefined;
  text(key: CborKey, optional?: boolean): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      if (optional) return undefined;
      throw missing(this.name(key));
    }
    if (typeof v !== 'string') throw unexpected(`${this.name(key)} must be a text string`);
    return v;
  }
  int(key: CborKey): number;
  int(key: CborKey, optional: true): number | undefined;
  int(key: CborKey, optional?: boolean): number | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      if (optional) return undefined;
      throw missing(this.name(key));
    }
    if (typeof v !== 'number') throw unexpected(`${this.name(key)} must be an integer`);
    return v;
  }
  uint(key: CborKey): number;
  uint(key: CborKey, optional: true): number | undefined;
  uint(key: CborKey, optional?: boolean): number | undefined {
    const v = optional ? this.int(key, true) : this.int(key);
    if (v !== undefined && v < 0) throw unexpected(`${this.name(key)} must be unsigned`);
    return v;
  }
  /** An optional boolean. */
  bool(key: CborKey): boolean | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw unexpected(`${this.name(key)} must be a boolean`);
    return v;
  }
  submap(key: CborKey): Fields;
  submap(key: CborKey, optional: true): Fields | undefined;
  submap(key: CborKey, optional?: boolean): Fields | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      if (optional) return undefined;
      throw missing(this.name(key));
    }
    if (!(v instanceof Map)) throw unexpected(`${this.name(key)} must be a map`);
    return new Fields(v, this.name(key));
  }
  array(key: CborKey): CborValue[];
  array(key: CborKey, optional: true): CborValue[] | undefined;
  array(key: CborKey, optional?: boolean): CborValue[] | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      if (optional) return undefined;
      throw missing(this.name(key));
    }
    if (!Array.isArray(v)) throw unexpected(`${this.name(key)} must be an array`);
    return v;
  }
  /** A map of text → boolean (options). */
  options(key: CborKey): Map<string, boolean> {
    const sub = this.submap(key, true);
    const out = new Map<string, boolean>();
    if (!sub) return out;
    for (const [k, v] of sub.map) {
      if (typeof k !== 'string') throw unexpected(`${this.name(key)} keys must be text`);
      if (typeof v !== 'boolean') throw unexpected(`${this.name(key)}.${k} must be a boolean`);
      out.set(k, v);
    }
    return out;
  }
}

export function asFields(value: CborValue, context: string): Fields {
  if (!(value instanceof Map)) throw unexpected(`${context} must be a map`);
  return new Fields(value, context);
}
