/**
 * One field list per CTAP2 map, and the codecs derived from it (the shape of ctap-types'
 * `serde_indexed` and python-fido2's `_CborDataObject`): each member is declared once with its map key,
 * its CBOR codec and whether it may be absent; `struct()` turns that list into the key table, the
 * encoder (typed object → canonical map) and the strict decoder (map → typed object).
 *
 * Decoding gives the CTAP 2.1 §6 statuses (architecture habit 3): a missing required member is
 * CTAP2_ERR_MISSING_PARAMETER, a member of the wrong CBOR type CTAP2_ERR_CBOR_UNEXPECTED_TYPE, bytes
 * that are not canonical CBOR CTAP2_ERR_INVALID_CBOR (§8). Members are read in declaration order, so
 * the first failing member (lowest key) decides the status. Unknown members are ignored (§6: "an
 * authenticator … MUST ignore" unknown keys).
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#ctap2-canonical-cbor-encoding-form
 */
import {
  CborError,
  decode,
  encode,
  type CborKey,
  type CborMap,
  type CborValue,
  type Encodable,
} from '../encoding/cbor.js';
import { CtapError, Status } from './status.js';

/** A member's CBOR form: `decode` checks the type (throwing a CtapError naming `path`), `encode` is its inverse. */
export interface Codec<T> {
  readonly decode: (value: CborValue, path: string) => T;
  readonly encode: (value: T) => Encodable;
}

const unexpected = (path: string, what: string) =>
  new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${path} must be ${what}`);

const identity = <T extends Encodable>(v: T): Encodable => v;

export const bytes: Codec<Uint8Array> = {
  decode: (v, path) => {
    if (!(v instanceof Uint8Array)) throw unexpected(path, 'a byte string');
    return v;
  },
  encode: identity,
};

export const text: Codec<string> = {
  decode: (v, path) => {
    if (typeof v !== 'string') throw unexpected(path, 'a text string');
    return v;
  },
  encode: identity,
};

export const int: Codec<number> = {
  decode: (v, path) => {
    if (typeof v !== 'number') throw unexpected(path, 'an integer');
    return v;
  },
  encode: identity,
};

export const uint: Codec<number> = {
  decode: (v, path) => {
    if (typeof v !== 'number' || v < 0) throw unexpected(path, 'an unsigned integer');
    return v;
  },
  encode: identity,
};

export const bool: Codec<boolean> = {
  decode: (v, path) => {
    if (typeof v !== 'boolean') throw unexpected(path, 'a boolean');
    return v;
  },
  encode: identity,
};

/** Any map, kept as decoded (a COSE_Key, an extensions map, an attStmt). */
export const anyMap: Codec<CborMap> = {
  decode: (v, path) => {
    if (!(v instanceof Map)) throw unexpected(path, 'a map');
    return v;
  },
  encode: identity,
};

/** Any map, as sent by the platform or as decoded (an extensions map: its readers check their members). */
export const openMap: Codec<ReadonlyMap<CborKey, Encodable>> = {
  decode: (v, path) => anyMap.decode(v, path),
  encode: identity,
};

/** Any CBOR value (attStmt: a map, or for fmt "compound" an array, WebAuthn L3 §8.9). */
export const anyValue: Codec<CborValue> = { decode: (v) => v, encode: identity };

export function arrayOf<T>(item: Codec<T>): Codec<T[]> {
  // The items' paths for the last path seen (a struct passes the same string each time): no string per item.
  let pathsOf: string | undefined;
  let paths: string[] = [];
  return {
    decode: (v, path) => {
      if (!Array.isArray(v)) throw unexpected(path, 'an array');
      if (path !== pathsOf) {
        pathsOf = path;
        paths = [];
      }
      const out: T[] = new Array<T>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = item.decode(v[i]!, (paths[i] ??= `${path}[${i}]`));
      return out;
    },
    encode: (list) => list.map((x) => item.encode(x)),
  };
}

/** A map of text keys to one value type (options: text → boolean). */
export function recordOf<T>(value: Codec<T>): Codec<Readonly<Record<string, T>>> {
  return {
    decode: (v, path) => {
      if (!(v instanceof Map)) throw unexpected(path, 'a map');
      const entries: Array<[string, T]> = [];
      for (const [k, x] of v) {
        if (typeof k !== 'string') throw unexpected(`${path} keys`, 'text');
        entries.push([k, value.decode(x, `${path}.${k}`)]);
      }
      return Object.fromEntries(entries);
    },
    encode: (r) => new Map(Object.entries(r).map(([k, x]) => [k, value.encode(x)])),
  };
}

/** A codec with a check after decoding (a length limit with its own status). */
export function refine<T>(base: Codec<T>, check: (value: T, path: string) => void): Codec<T> {
  return {
    decode: (v, path) => {
      const out = base.decode(v, path);
      check(out, path);
      return out;
    },
    encode: base.encode,
  };
}

/** One member: its map key, its codec, and `optional: true` when it may be absent. */
export interface Member<T> {
  readonly key: CborKey;
  readonly codec: Codec<T>;
  readonly optional?: boolean;
}

/** The field list of a map whose typed form is O: every member of O, optional exactly when O's is. */
export type Members<O> = {
  readonly [K in keyof O]-?: object extends Pick<O, K>
    ? Member<Exclude<O[K], undefined>> & { readonly optional: true }
    : Member<O[K]> & { readonly optional?: false };
};

/** The key table of a field list: member name → map key. */
export type KeyTable<O> = { readonly [K in keyof O]-?: number };

export interface StructOptions {
  /** Members read for their type only and not kept (PublicKeyCredentialEntity's icon, CTAP 2.0 §5.1). */
  readonly checked?: Readonly<Record<string, Codec<unknown>['decode']>>;
}

/** The codecs of one CTAP2 map, built once from its field list. */
export interface Struct<O> extends Codec<O> {
  readonly members: Members<O>;
  /** The map of the present members of `value` (for `encode()`, or to nest). */
  toMap(value: O): Map<CborKey, Encodable>;
  /** Reads `map` strictly; `path` names the map in error messages. */
  fromMap(map: CborMap, path: string): O;
}

interface Row {
  name: string;
  key: CborKey;
  codec: Codec<unknown>;
  optional: boolean;
}

export function struct<O>(members: Members<O>, options: StructOptions = {}): Struct<O> {
  // Built once: encoding and decoding walk this array, never the member record.
  const rows: Row[] = Object.entries(members as unknown as Record<string, Member<unknown>>).map(([name, m]) => ({
    name,
    key: m.key,
    codec: m.codec,
    optional: m.optional === true,
  }));
  const checked = Object.entries(options.checked ?? {});
  const toMap = (value: O): Map<CborKey, Encodable> => {
    const out = new Map<CborKey, Encodable>();
    const v = value as Record<string, unknown>;
    for (const row of rows) {
      const x = v[row.name];
      if (x !== undefined) out.set(row.key, row.codec.encode(x));
    }
    return out;
  };
  // The members' paths for the last path seen (the same string on every request): no string per member.
  let namesOf: string | undefined;
  let names: string[] = [];
  const fromMap = (map: CborMap, path: string): O => {
    const out: Record<string, unknown> = {};
    if (path !== namesOf) {
      namesOf = path;
      names = rows.map((row) => `${path}.${row.name}`);
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const x = map.get(row.key);
      const name = names[i]!;
      if (x === undefined) {
        if (!row.optional) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, name);
        continue;
      }
      out[row.name] = row.codec.decode(x, name);
    }
    for (const [key, check] of checked) {
      const x = map.get(key);
      if (x !== undefined) check(x, `${path}.${key}`);
    }
    return out as O;
  };
  return {
    members,
    toMap,
    fromMap,
    encode: toMap,
    decode: (v, path) => {
      if (!(v instanceof Map)) throw unexpected(path, 'a map');
      return fromMap(v, path);
    },
  };
}

/** The key table of a field list (`MakeCredentialKey.clientDataHash === 0x01`). */
export function keyTable<O>(members: Members<O>): KeyTable<O> {
  const out: Record<string, CborKey> = {};
  for (const [name, m] of Object.entries(members as unknown as Record<string, Member<unknown>>)) out[name] = m.key;
  return Object.freeze(out) as KeyTable<O>;
}

/** Command parameters → the top-level map: INVALID_CBOR for bytes that are not strict CBOR, CBOR_UNEXPECTED_TYPE for a non-map. */
export function decodeRequestMap(params: Uint8Array): CborMap {
  let value: CborValue;
  try {
    value = decode(params);
  } catch (e) {
    if (e instanceof CborError) throw new CtapError(Status.CTAP2_ERR_INVALID_CBOR, e.message);
    throw e;
  }
  if (!(value instanceof Map)) throw new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'request is not a map');
  return value;
}

/** command byte ‖ canonical CBOR of the parameters (none: the command byte alone), CTAP 2.1 §6. */
export function commandBytes(command: number, params?: ReadonlyMap<CborKey, Encodable>): Uint8Array {
  return params ? encode(params, command) : Uint8Array.of(command);
}

/** Responses may nest deeper than requests: compound attStmt → statement → attStmt → x5c (WebAuthn L3 §8.9). */
const RESPONSE_MAX_DEPTH = 8;

/** Splits status ‖ CBOR of a response; throws CtapError for a non-zero status. */
export function responseBody(response: Uint8Array): CborMap | undefined {
  if (response.length === 0) throw new CtapError(Status.CTAP1_ERR_OTHER, 'empty response');
  if (response[0] !== 0) throw new CtapError(response[0]!);
  if (response.length === 1) return undefined;
  const value = decode(response.subarray(1), RESPONSE_MAX_DEPTH);
  if (!(value instanceof Map)) throw new CtapError(Status.CTAP2_ERR_INVALID_CBOR, 'response is not a map');
  return value;
}

/** A response map, or undefined (status byte only) when it has no members. */
export function encodeOptionalMap(map: Map<CborKey, Encodable>): Uint8Array | undefined {
  return map.size === 0 ? undefined : encode(map);
}

const NO_MEMBERS: CborMap = new Map();

/** The four codecs of one command, built from its two field lists; each command module exports them by name. */
export interface CommandCodecs<Req, Res, Body extends Uint8Array | undefined> {
  /** Platform: command byte ‖ request map. */
  readonly encodeRequest: (req: Req) => Uint8Array;
  /** Authenticator: the parameters after the command byte → the request, or the §6 status. */
  readonly decodeRequest: (params: Uint8Array) => Req;
  /** Authenticator: the response after the status byte (undefined: the status byte alone). */
  readonly encodeResponse: (res: Res) => Body;
  /** Platform: status ‖ response map → the response; a non-zero status throws its CtapError. */
  readonly decodeResponse: (response: Uint8Array) => Res;
}

/**
 * The codecs of `command` (`name` names it in error messages). `responseBytes` is `encode` for a
 * response that always has members, `encodeOptionalMap` for one that may be the status byte alone;
 * decoding a response without its required members is CTAP2_ERR_MISSING_PARAMETER.
 */
export function commandCodecs<Req, Res, Body extends Uint8Array | undefined>(
  command: number,
  name: string,
  request: Struct<Req>,
  response: Struct<Res>,
  responseBytes: (members: Map<CborKey, Encodable>) => Body,
): CommandCodecs<Req, Res, Body> {
  return {
    encodeRequest: (req) => commandBytes(command, request.toMap(req)),
    decodeRequest: (params) => request.fromMap(decodeRequestMap(params), name),
    encodeResponse: (res) => responseBytes(response.toMap(res)),
    decodeResponse: (res) => response.fromMap(responseBody(res) ?? NO_MEMBERS, `${name} response`),
  };
}
