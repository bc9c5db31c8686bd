/**
 * The Filecoin message parser (filecoin-app.md §4.1): a definite-length CBOR array of 10 items
 *   [version, to, from, nonce, value, gasLimit, gasFeeCap, gasPremium, method, params]
 * read with TinyCBOR's tolerance (cborReader.ts) and the app's checks, in the app's order, so each
 * failure carries the same error text the device sends with 6984.
 */
import { CborCursor, CborReadError } from './cborReader.js';
import { isValidAddressBytes } from './address.js';
import { dataInvalid, PARSER_ERROR, type ApduError } from './statusWords.js';

export const SUPPORTED_TX_VERSION = 0n;
/** Size of the app's address buffer. */
export const MAX_ADDRESS_LENGTH = 64;
/** Size of the app's bigint buffer (sign byte + 128). */
export const MAX_BIGINT_LENGTH = 129;
/** Size of the app's params buffer. */
export const MAX_PARAMS_LENGTH = 1256;
/** Containers in params must have fewer than 255 elements. */
export const MAX_PARAMS_ITEMS = 254;

export const METHOD_TRANSFER = 0n;
export const METHOD_INVOKE_EVM = 3844450837n;
export const ERC20_TRANSFER_SELECTOR = Uint8Array.of(0xa9, 0x05, 0x9c, 0xbb);
/** `transfer(address,uint256)` calldata: selector + two 32-byte words. */
export const ERC20_TRANSFER_DATA_LENGTH = 68;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Params as the app classifies them from the first CBOR head inside the params byte string. */
export type FilecoinParams =
  | { kind: 'none' }
  /** CBOR array or map: one review item per element (map: its first `count` keys/values). */
  | { kind: 'array' | 'map'; bytes: Uint8Array; count: number }
  /** A CBOR byte string: one item (an address if it parses as one, else hex). */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** Anything else: one item of the raw params bytes. */
  | { kind: 'raw'; bytes: Uint8Array };

export interface FilecoinMessage {
  version: bigint;
  to: Uint8Array;
  from: Uint8Array;
  nonce: bigint;
  /** Filecoin bigint bytes: empty (zero) or `00 ‖ magnitude big-endian`. */
  value: Uint8Array;
  gasLimit: bigint;
  gasFeeCap: Uint8Array;
  gasPremium: Uint8Array;
  method: bigint;
  /** The params byte string's content. */
  paramsBytes: Uint8Array;
  params: FilecoinParams;
}

/** Maps a TinyCBOR-class read failure to the app's parser error. */
export function cborError(e: unknown): ApduError {
  if (e instanceof CborReadError) {
    return dataInvalid(e.kind === 'eof' ? PARSER_ERROR.CBOR_UNEXPECTED_EOF : PARSER_ERROR.CBOR_UNEXPECTED);
  }
  throw e;
}

/** Runs a reader step, turning CborReadError into the app's 6984 error. */
export function cbor<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw cborError(e);
  }
}

function readBytesField(it: CborCursor, maxLength: number): Uint8Array {
  if (it.type !== 'bytes') throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
  const value = cbor(() => it.string());
  // TinyCBOR's copy into a fixed buffer fails with CborErrorOutOfMemory.
  if (value.length > maxLength) throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED);
  return value;
}

function readAddressField(it: CborCursor): Uint8Array {
  const a = readBytesField(it, MAX_ADDRESS_LENGTH);
  if (!isValidAddressBytes(a)) throw dataInvalid(PARSER_ERROR.INVALID_ADDRESS);
  return a;
}

function readBigIntField(it: CborCursor): Uint8Array {
  const b = readBytesField(it, MAX_BIGINT_LENGTH);
  if (b.length === 0) return b;
  if (b.length === 1) throw dataInvalid(PARSER_ERROR.UNEXPECTED_VALUE);
  if (b[0] !== 0x00) throw dataInvalid(PARSER_ERROR.UNEXPECTED_VALUE);
  return b;
}

function readInt64(it: CborCursor): bigint {
  if (it.type !== 'integer') throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
  const v = it.integer();
  if (v < INT64_MIN || v > INT64_MAX) throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED);
  return v;
}

function readUint64(it: CborCursor): bigint {
  if (it.type !== 'integer' || it.head!.major !== 0) throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
  return it.integer();
}

function classifyParams(p: Uint8Array): FilecoinParams {
  if (p.length === 0) return { kind: 'none' };
  const top = cbor(() => CborCursor.top(p));
  switch (top.type) {
    case 'array':
    case 'map': {
      const count = cbor(() => top.containerLength());
      if (count > MAX_PARAMS_ITEMS) throw dataInvalid(PARSER_ERROR.VALUE_OUT_OF_RANGE);
      return { kind: top.type, bytes: p, count };
    }
    case 'bytes':
      return { kind: 'bytes', bytes: p };
    default:
      return { kind: 'raw', bytes: p };
  }
}

/** Parses and checks a Filecoin message; throws ApduError(6984, text) like the app. */
export function parseFilecoinMessage(buffer: Uint8Array): FilecoinMessage {
  if (buffer.length === 0) throw dataInvalid(PARSER_ERROR.INIT_CONTEXT_EMPTY);
  const top = cbor(() => CborCursor.top(buffer));
  if (top.atEnd) throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
  if (top.type !== 'array') throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
  const size = cbor(() => top.containerLength());
  if (size !== 10 && size !== 9) throw dataInvalid(PARSER_ERROR.UNEXPECTED_NUMBER_ITEMS);
  const it = cbor(() => top.enter());

  const version = readInt64(it);
  cbor(() => it.advance());
  if (version !== SUPPORTED_TX_VERSION) throw dataInvalid(PARSER_ERROR.UNEXPECTED_TX_VERSION);

  const to = readAddressField(it);
  cbor(() => it.advance());
  const from = readAddressField(it);
  cbor(() => it.advance());
  const nonce = readUint64(it);
  cbor(() => it.advance());
  const value = readBigIntField(it);
  cbor(() => it.advance());
  const gasLimit = readInt64(it);
  cbor(() => it.advance());
  const gasFeeCap = readBigIntField(it);
  cbor(() => it.advance());
  const gasPremium = readBigIntField(it);
  cbor(() => it.advance());
  const method = readUint64(it);
  cbor(() => it.advance());

  // params: a byte string (a 9-element array ends here with "Unexpected data type").
  if (it.type !== 'bytes') throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
  const paramsBytes = cbor(() => it.string());
  if (paramsBytes.length > MAX_PARAMS_LENGTH) throw dataInvalid(PARSER_ERROR.UNEXPECTED_NUMBER_ITEMS);
  const params = classifyParams(paramsBytes);
  cbor(() => it.advance());

  // Trailing bytes after the array.
  if (it.offset !== buffer.length) throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED_EOF);

  return { version, to, from, nonce, value, gasLimit, gasFeeCap, gasPremium, method, paramsBytes, params };
}

/** The magnitude of Filecoin bigint bytes (empty = 0). */
export function bigIntValue(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Encodes a non-negative bigint as Filecoin bigint bytes (0 → empty). */
export function encodeBigInt(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError('negative bigint');
  if (v === 0n) return new Uint8Array(0);
  const hex = v.toString(16);
  const mag = hex.length % 2 ? `0${hex}` : hex;
  const out = new Uint8Array(1 + mag.length / 2);
  for (let i = 0; i < mag.length / 2; i++) out[1 + i] = parseInt(mag.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** InvokeEVM carrying an ERC20 `transfer` to an EAM (f410) contract with no FIL value. */
export function isErc20Transfer(m: FilecoinMessage): boolean {
  const p = m.paramsBytes;
  return (
    m.method === METHOD_INVOKE_EVM &&
    m.to[0] === 0x04 &&
    m.to[1] === 0x0a &&
    m.value.length === 0 &&
    p.length === 2 + ERC20_TRANSFER_DATA_LENGTH &&
    p[0] === 0x58 &&
    p[1] === ERC20_TRANSFER_DATA_LENGTH &&
    ERC20_TRANSFER_SELECTOR.every((b, i) => p[2 + i] === b)
  );
}
