/**
 * BIP44 paths of the FIL instructions (filecoin-app.md §1.2): five uint32 in LITTLE-ENDIAN order
 * (20 bytes), `44'/461'/…` for mainnet or `44'/1'/…` for testnet, the third element hardened.
 *
 * Seed vs spec: the seed's GET_ADDR table lists Path[0..1] as "0x80000000" and the sign table as
 * "44 / 461" without saying the byte order or allowing coin type 1'. The spec (LE, 44'/461' or 44'/1',
 * hardened account) wins.
 */
import { ApduError, SW } from './statusWords.js';

export const HARDENED = 0x80000000;
export const BIP32_PATH_ELEMENTS = 5;
export const BIP32_PATH_LENGTH = 20;
export const PURPOSE_44 = HARDENED + 44;
export const COIN_TYPE_FILECOIN = HARDENED + 461;
export const COIN_TYPE_TESTNET = HARDENED + 1;

export type Network = 'mainnet' | 'testnet';

export interface FilecoinPath {
  /** Five child indexes; ≥ 0x80000000 means hardened. */
  elements: readonly number[];
  network: Network;
}

/** Why a path is refused, or undefined when it is acceptable. */
export function pathRuleViolation(elements: readonly number[]): string | undefined {
  if (elements.length !== BIP32_PATH_ELEMENTS) return `a Filecoin path has ${BIP32_PATH_ELEMENTS} elements`;
  if (elements[0] !== PURPOSE_44) return "the first element must be 44'";
  if (elements[1] !== COIN_TYPE_FILECOIN && elements[1] !== COIN_TYPE_TESTNET)
    return "the coin type must be 461' (mainnet) or 1' (testnet)";
  if (elements[2]! < HARDENED) return 'the third element (account) must be hardened';
  return undefined;
}

function networkOf(elements: readonly number[]): Network {
  return elements[1] === COIN_TYPE_TESTNET ? 'testnet' : 'mainnet';
}

/**
 * Reads the 20-byte path at the start of `data` (extra bytes ignored).
 * Fewer than 20 bytes → 6700; a path outside the rules → 6984 with no text.
 */
export function readPath(data: Uint8Array): FilecoinPath {
  if (data.length < BIP32_PATH_LENGTH) throw new ApduError(SW.WRONG_LENGTH);
  const view = new DataView(data.buffer, data.byteOffset, BIP32_PATH_LENGTH);
  const elements: number[] = [];
  for (let i = 0; i < BIP32_PATH_ELEMENTS; i++) elements.push(view.getUint32(i * 4, true));
  if (pathRuleViolation(elements) !== undefined) throw new ApduError(SW.DATA_INVALID);
  return { elements, network: networkOf(elements) };
}

/** The 20-byte little-endian encoding (what both JS clients send). */
export function encodePath(elements: readonly number[]): Uint8Array {
  const out = new Uint8Array(elements.length * 4);
  const view = new DataView(out.buffer);
  elements.forEach((e, i) => view.setUint32(i * 4, e >>> 0, true));
  return out;
}

/** `44'/461'/0'/0/1` (the form the device shows in expert mode; no `m/`). */
export function formatPath(elements: readonly number[]): string {
  return elements.map((e) => (e >= HARDENED ? `${e - HARDENED}'` : `${e}`)).join('/');
}

/** Parses `m/44'/461'/0'/0/1` (also `h` for hardened, `m/` optional) and applies the path rules. */
export function parsePathString(text: string): FilecoinPath {
  const parts = text.trim().replace(/^m\//, '').split('/');
  const elements = parts.map((p) => {
    const m = /^(\d{1,10})(['hH]?)$/.exec(p);
    if (!m) throw new RangeError(`invalid path element "${p}" in "${text}"`);
    const n = Number(m[1]);
    if (n >= HARDENED) throw new RangeError(`path element ${p} is too large`);
    return m[2] ? n + HARDENED : n;
  });
  const violation = pathRuleViolation(elements);
  if (violation) throw new RangeError(`invalid Filecoin path "${text}": ${violation}`);
  return { elements, network: networkOf(elements) };
}
