/**
 * ISO/IEC 7816-4 §5.1 command-response pairs, as FIDO U2F Raw Message Formats v1.2 §3 "U2F
 * message framing" uses them (and CTAP 2.1 §11.2.9.1.1 CTAPHID_MSG carries them): a command APDU
 * `CLA INS P1 P2 [Lc data] [Le]` in short or extended length encoding, a response APDU
 * `data ‖ SW1 SW2`.
 *
 *   case 1           CLA INS P1 P2
 *   case 2 short     CLA INS P1 P2 Le                        (Le 00 means 256)
 *   case 3 short     CLA INS P1 P2 Lc data                   (Lc 1..255)
 *   case 4 short     CLA INS P1 P2 Lc data Le
 *   case 2 extended  CLA INS P1 P2 00 Le1 Le2                (Le 0000 means 65536)
 *   case 3 extended  CLA INS P1 P2 00 Lc1 Lc2 data           (Lc 1..65535)
 *   case 4 extended  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
 *
 * One leniency, as U2F tokens have it: an extended APDU with Lc = 0000 followed by Le1 Le2
 * (`CLA INS P1 P2 00 00 00 00 00`, what python-fido2 and browsers send for U2F_VERSION) is read as
 * "no data". Any other length that does not add up is SW_WRONG_LENGTH.
 * https://fidoalliance.org/specs/fido-u2f-v1.2-ps-20170411/fido-u2f-raw-message-formats-v1.2-ps-20170411.html#u2f-message-framing
 */
import { Ctap1Error, StatusWord } from './statusWords.js';
import { splitStatusWord, withStatusWord } from '../encoding/apdu.js';

export const APDU_HEADER_LENGTH = 4;
export const SHORT_MAX_LC = 255;
export const EXTENDED_MAX_LC = 65535;

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** The command data field (Lc bytes; empty when there is none). */
  data: Uint8Array;
  /** Ne, the most response data bytes the host expects (256 or 65536 for Le 0); 0 when Le is absent. */
  ne: number;
  /** Whether the extended length encoding was used. */
  extended: boolean;
}

/** Decodes a command APDU; a length that does not add up is SW_WRONG_LENGTH. */
export function decodeCommandApdu(bytes: Uint8Array): CommandApdu {
  const n = bytes.length;
  if (n < APDU_HEADER_LENGTH) throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, 'shorter than the APDU header');
  const [cla, ins, p1, p2] = bytes as unknown as [number, number, number, number];
  const apdu = (data: Uint8Array, ne: number, extended: boolean): CommandApdu => ({
    cla,
    ins,
    p1,
    p2,
    data,
    ne,
    extended,
  });
  if (n === 4) return apdu(new Uint8Array(0), 0, false); // case 1
  const b4 = bytes[4]!;
  if (n === 5) return apdu(new Uint8Array(0), b4 === 0 ? 256 : b4, false); // case 2S
  if (b4 !== 0) {
    const lc = b4;
    if (n === 5 + lc) return apdu(bytes.slice(5), 0, false); // case 3S
    if (n === 6 + lc) return apdu(bytes.slice(5, 5 + lc), bytes[n - 1]! === 0 ? 256 : bytes[n - 1]!, false); // case 4S
    throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, `short Lc ${lc} does not match ${n} bytes`);
  }
  if (n < 7) throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, 'truncated extended length');
  const l = (bytes[5]! << 8) | bytes[6]!;
  if (n === 7) return apdu(new Uint8Array(0), l === 0 ? 65536 : l, true); // case 2E
  const lc = l;
  const le = (i: number) => (bytes[i]! << 8) | bytes[i + 1]! || 65536;
  if (lc > 0 && n === 7 + lc) return apdu(bytes.slice(7), 0, true); // case 3E
  if (n === 9 + lc) return apdu(bytes.slice(7, 7 + lc), le(n - 2), true); // case 4E (Lc 0: the U2F leniency)
  throw new Ctap1Error(StatusWord.SW_WRONG_LENGTH, `extended Lc ${lc} does not match ${n} bytes`);
}

/**
 * Encodes a command APDU (the host side: tests, tools). `ne` undefined leaves Le out; 256 (short) or
 * 65536 (extended) is written as Le 0.
 */
export function encodeCommandApdu(
  cmd: { cla?: number; ins: number; p1?: number; p2?: number; data?: Uint8Array; ne?: number },
  form: 'short' | 'extended' = 'extended',
): Uint8Array {
  const data = cmd.data ?? new Uint8Array(0);
  const header = [cmd.cla ?? 0, cmd.ins, cmd.p1 ?? 0, cmd.p2 ?? 0];
  const out: number[] = [...header];
  if (form === 'short') {
    if (data.length > SHORT_MAX_LC) throw new RangeError('short APDU data longer than 255 bytes');
    if (cmd.ne !== undefined && (cmd.ne < 1 || cmd.ne > 256)) throw new RangeError('short Ne is 1..256');
    if (data.length > 0) out.push(data.length, ...data);
    if (cmd.ne !== undefined) out.push(cmd.ne & 0xff);
  } else {
    if (data.length > EXTENDED_MAX_LC) throw new RangeError('extended APDU data longer than 65535 bytes');
    if (cmd.ne !== undefined && (cmd.ne < 1 || cmd.ne > 65536)) throw new RangeError('extended Ne is 1..65536');
    if (data.length > 0 || cmd.ne !== undefined) out.push(0);
    if (data.length > 0) out.push(data.length >> 8, data.length & 0xff, ...data);
    if (cmd.ne !== undefined) out.push((cmd.ne >> 8) & 0xff, cmd.ne & 0xff);
  }
  return Uint8Array.from(out);
}

/** `data ‖ SW1 SW2`. */
export const encodeResponseApdu = withStatusWord;

/** Splits a response APDU into data and status word (the host side). */
export const decodeResponseApdu = splitStatusWord;
