/**
 * Command and response APDUs of the Ledger Filecoin app (filecoin-app.md §1.1):
 * command `CLA INS P1 P2 Lc DATA`, response `ANSWER ‖ SW1 SW2`. As on the device, DATA is every
 * byte received after the 5-byte header (rx), whatever Lc says; a real device receives at most
 * 5 + 255 bytes, so longer input is refused by the dispatcher.
 */
import { splitStatusWord, withStatusWord } from '../encoding/apdu.js';

export const APDU_HEADER_LENGTH = 5;
/** One-byte Lc: at most 255 data bytes. */
export const APDU_MAX_DATA = 255;

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** The bytes after the header (not cut to Lc). */
  data: Uint8Array;
  /** Number of bytes received. */
  rx: number;
}

/** Splits received bytes into header fields and data. Needs rx ≥ 5 (the dispatcher checks first). */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  if (bytes.length < APDU_HEADER_LENGTH) throw new RangeError('APDU shorter than its header');
  return {
    cla: bytes[0]!,
    ins: bytes[1]!,
    p1: bytes[2]!,
    p2: bytes[3]!,
    data: bytes.subarray(APDU_HEADER_LENGTH),
    rx: bytes.length,
  };
}

/** Encodes a command APDU with a one-byte Lc (the host side; used by tests and the bench). */
export function encodeCommandApdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (data.length > APDU_MAX_DATA) throw new RangeError('APDU data longer than 255 bytes');
  const out = new Uint8Array(APDU_HEADER_LENGTH + data.length);
  out.set([cla, ins, p1, p2, data.length], 0);
  out.set(data, APDU_HEADER_LENGTH);
  return out;
}

/** `answer ‖ SW1 SW2`. */
export const responseApdu = withStatusWord;

/** Splits a response into answer and status word. */
export function parseResponseApdu(bytes: Uint8Array): { answer: Uint8Array; sw: number } {
  const { data, sw } = splitStatusWord(bytes);
  return { answer: data, sw };
}
