/**
 * Review items of a Filecoin message (filecoin-app.md §4.2), rendered the way the app validates
 * them: every item is rendered before the review starts, and a render failure rejects the message
 * with the app's error text.
 *  - normal: To, From, Value, Gas Limit, Gas Fee Cap, [expert: Gas Premium, Nonce], Method,
 *    Params |i| …; an f4 To/From is preceded by a same-label item with its `0x…` form.
 *  - amounts (and, as on the device, Gas Limit): `FIL ` + 18 decimals, untrimmed.
 *  - InvokeEVM carrying an ERC20 transfer: Method "ERC20 Transfer", From, To, Token Contract, Value
 *    (+ gas fields and nonce in expert mode).
 */
import { toHex } from '../encoding/bytes.js';
import { ADDRESS_PROTOCOL, delegatedEthAddress, formatAddress, isValidAddressBytes } from './address.js';
import type { Network } from './bip32Path.js';
import { CBOR_TYPE, CborCursor } from './cborReader.js';
import {
  bigIntValue,
  cbor,
  isErc20Transfer,
  MAX_ADDRESS_LENGTH,
  METHOD_INVOKE_EVM,
  METHOD_TRANSFER,
  type FilecoinMessage,
} from './filecoinMessage.js';
import type { ReviewItem } from './review.js';
import { dataInvalid, PARSER_ERROR } from './statusWords.js';

export const COIN_DECIMALS = 18;
export const COIN_TICKER = 'FIL';
/** Bigints longer than 64 bytes are not displayed (LESS_THAN_64_DIGIT). */
export const MAX_DISPLAY_BIGINT_LENGTH = 64;
const TAG_CID = 42n;

/** `digits` as a fixed-point decimal with `decimals` places, untrimmed ("0.000000000000100000"). */
export function fixedPoint(magnitude: bigint, decimals: number): string {
  const digits = magnitude.toString(10).padStart(decimals + 1, '0');
  return `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
}

export function formatFil(amount: bigint): string {
  const sign = amount < 0n ? '-' : '';
  return `${COIN_TICKER} ${sign}${fixedPoint(amount < 0n ? -amount : amount, COIN_DECIMALS)}`;
}

function renderBigInt(b: Uint8Array): string {
  if (b.length > MAX_DISPLAY_BIGINT_LENGTH) throw dataInvalid(PARSER_ERROR.VALUE_OUT_OF_RANGE);
  return formatFil(bigIntValue(b));
}

export function methodName(method: bigint): string {
  if (method === METHOD_TRANSFER) return 'Transfer';
  if (method === METHOD_INVOKE_EVM) return 'Invoke EVM';
  return method.toString(10);
}

function addressItems(label: string, a: Uint8Array, network: Network): ReviewItem[] {
  const items: ReviewItem[] = [];
  if (a[0] === ADDRESS_PROTOCOL.DELEGATED) {
    const eth = delegatedEthAddress(a);
    if (eth === undefined) throw dataInvalid(PARSER_ERROR.UNEXPECTED_ERROR);
    items.push({ label, value: eth });
  }
  const s = formatAddress(a, network);
  if (s === undefined) throw dataInvalid(PARSER_ERROR.INVALID_ADDRESS);
  items.push({ label, value: s });
  return items;
}

function isPrintable(b: Uint8Array): boolean {
  return b.every((c) => c >= 0x20 && c <= 0x7e);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** One element inside params (TinyCBOR printValue). */
function renderValue(it: CborCursor): string {
  switch (it.type) {
    case 'bytes': {
      const b = cbor(() => it.string());
      return b.length === 0 ? '-- EMPTY --' : toHex(b);
    }
    case 'text': {
      const b = cbor(() => it.string());
      return b.length === 0 ? '-- EMPTY --' : latin1(b);
    }
    case 'integer': {
      const v = it.integer();
      if (v < -(1n << 63n) || v >= 1n << 63n) throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED);
      return v.toString(10);
    }
    case 'tag': {
      if (it.tag() !== TAG_CID) throw dataInvalid(PARSER_ERROR.UNEXPECTED_TYPE);
      // A CID link: tag 42 around a byte string; shown as hex of its bytes.
      const inner = cbor(() => CborCursor.top(it.bytes.subarray(it.head!.end)));
      if (inner.type !== 'bytes') throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED);
      const b = cbor(() => inner.string());
      return b.length === 0 ? '-- EMPTY --' : toHex(b);
    }
    default:
      return `Type: ${CBOR_TYPE[it.type]}`;
  }
}

/** The `Params |i|` values. */
export function renderParams(m: FilecoinMessage, network: Network): string[] {
  const p = m.params;
  switch (p.kind) {
    case 'none':
      return [];
    case 'bytes': {
      const top = cbor(() => CborCursor.top(p.bytes));
      const inner = cbor(() => top.string());
      if (inner.length <= MAX_ADDRESS_LENGTH && isValidAddressBytes(inner)) {
        const s = formatAddress(inner, network);
        if (s === undefined) throw dataInvalid(PARSER_ERROR.INVALID_ADDRESS);
        return [s];
      }
      return [inner.length === 0 ? '-- EMPTY --' : toHex(inner)];
    }
    case 'array':
    case 'map': {
      const out: string[] = [];
      for (let idx = 0; idx < p.count; idx++) {
        // As the app does for each item: enter, step idx times, print, then walk to the end.
        const top = cbor(() => CborCursor.top(p.bytes));
        const it = cbor(() => top.enter());
        for (let i = 0; i < idx; i++) cbor(() => it.advance());
        if (it.atEnd) throw dataInvalid(PARSER_ERROR.CBOR_UNEXPECTED);
        out.push(renderValue(it));
        cbor(() => {
          while (!it.atEnd) it.advance();
        });
      }
      return out;
    }
    case 'raw':
      return [isPrintable(p.bytes) ? latin1(p.bytes) : toHex(p.bytes)];
  }
}

function erc20Items(m: FilecoinMessage, network: Network, expertMode: boolean): ReviewItem[] {
  const data = m.paramsBytes.subarray(2);
  const recipient = data.subarray(4 + 12, 4 + 32);
  let amount = 0n;
  for (const b of data.subarray(4 + 32, 4 + 64)) amount = (amount << 8n) | BigInt(b);
  const items: ReviewItem[] = [
    { label: 'Method', value: 'ERC20 Transfer' },
    ...addressItems('From', m.from, network),
    { label: 'To', value: `0x${toHex(recipient)}` },
    { label: 'Token Contract', value: delegatedEthAddress(m.to)! },
    // Token decimals and ticker are not known to the emulator: the raw token amount is shown.
    { label: 'Value', value: amount.toString(10) },
  ];
  if (expertMode) {
    items.push(
      { label: 'Gas Limit', value: formatFil(m.gasLimit) },
      { label: 'Gas Fee Cap', value: renderBigInt(m.gasFeeCap) },
      { label: 'Gas Premium', value: renderBigInt(m.gasPremium) },
      { label: 'Nonce', value: m.nonce.toString(10) },
    );
  }
  return items;
}

/** All review items of a message; throws ApduError(6984, text) when one cannot be rendered. */
export function messageReviewItems(m: FilecoinMessage, network: Network, expertMode: boolean): ReviewItem[] {
  if (isErc20Transfer(m)) return erc20Items(m, network, expertMode);
  const items: ReviewItem[] = [
    ...addressItems('To', m.to, network),
    ...addressItems('From', m.from, network),
    { label: 'Value', value: renderBigInt(m.value) },
    { label: 'Gas Limit', value: formatFil(m.gasLimit) },
    { label: 'Gas Fee Cap', value: renderBigInt(m.gasFeeCap) },
  ];
  if (expertMode) {
    items.push(
      { label: 'Gas Premium', value: renderBigInt(m.gasPremium) },
      { label: 'Nonce', value: m.nonce.toString(10) },
    );
  }
  items.push({ label: 'Method', value: methodName(m.method) });
  renderParams(m, network).forEach((value, i) => items.push({ label: `Params |${i + 1}|`, value }));
  return items;
}
