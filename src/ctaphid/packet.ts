/**
 * CTAP 2.1 §11.2.4 "Message and packet structure": the 64-byte initialization and continuation
 * packets. Pure functions, no state.
 *
 *   init: CID(4, big-endian) ‖ CMD(1, bit 7 set) ‖ BCNTH ‖ BCNTL ‖ DATA(57)
 *   cont: CID(4, big-endian) ‖ SEQ(1, 0..0x7f)   ‖ DATA(59)
 */
import { readU16be, readU32be } from '../encoding/bytes.js';
import {
  CONT_DATA_SIZE,
  CONT_HEADER_SIZE,
  CtapHidError,
  CtapHidErrorCode,
  HID_REPORT_SIZE,
  INIT_DATA_SIZE,
  INIT_HEADER_SIZE,
  MAX_SEQ,
  TYPE_INIT,
} from './constants.js';

export interface InitPacket {
  readonly type: 'init';
  readonly cid: number;
  /** Command without the TYPE_INIT bit. */
  readonly cmd: number;
  /** Total payload length of the whole message. */
  readonly bcnt: number;
  /** The 57 data bytes of this packet (trailing bytes beyond bcnt are padding); a view of the report. */
  readonly data: Uint8Array;
}

export interface ContPacket {
  readonly type: 'cont';
  readonly cid: number;
  readonly seq: number;
  /** The 59 data bytes of this packet; a view of the report. */
  readonly data: Uint8Array;
}

export type Packet = InitPacket | ContPacket;

function checkCid(cid: number): void {
  if (!Number.isInteger(cid) || cid < 0 || cid > 0xffffffff) throw new RangeError(`invalid CID ${cid}`);
}

function writeCid(out: Uint8Array, cid: number): void {
  out[0] = (cid >>> 24) & 0xff;
  out[1] = (cid >>> 16) & 0xff;
  out[2] = (cid >>> 8) & 0xff;
  out[3] = cid & 0xff;
}

/** Builds an initialization packet; `data` (at most 57 bytes) is zero-padded. */
export function encodeInitPacket(cid: number, cmd: number, bcnt: number, data: Uint8Array): Uint8Array {
  checkCid(cid);
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0x7f) throw new RangeError(`invalid CTAPHID command ${cmd}`);
  if (!Number.isInteger(bcnt) || bcnt < 0 || bcnt > 0xffff) throw new RangeError(`invalid BCNT ${bcnt}`);
  if (data.length > INIT_DATA_SIZE) throw new RangeError(`init packet data too long: ${data.length}`);
  const out = new Uint8Array(HID_REPORT_SIZE);
  writeCid(out, cid);
  out[4] = TYPE_INIT | cmd;
  out[5] = (bcnt >>> 8) & 0xff;
  out[6] = bcnt & 0xff;
  out.set(data, INIT_HEADER_SIZE);
  return out;
}

/** Builds a continuation packet; `data` (at most 59 bytes) is zero-padded. */
export function encodeContPacket(cid: number, seq: number, data: Uint8Array): Uint8Array {
  checkCid(cid);
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`invalid SEQ ${seq}`);
  if (data.length > CONT_DATA_SIZE) throw new RangeError(`continuation packet data too long: ${data.length}`);
  const out = new Uint8Array(HID_REPORT_SIZE);
  writeCid(out, cid);
  out[4] = seq;
  out.set(data, CONT_HEADER_SIZE);
  return out;
}

/** The CID of a report (first four bytes, big-endian); the report must hold at least 4 bytes. */
export function packetCid(report: Uint8Array): number {
  return readU32be(report, 0);
}

/** Decodes one 64-byte report. Throws CtapHidError(ERR_INVALID_LEN) for any other size. */
export function decodePacket(report: Uint8Array): Packet {
  if (report.length !== HID_REPORT_SIZE) {
    throw new CtapHidError(
      CtapHidErrorCode.ERR_INVALID_LEN,
      `HID report must be ${HID_REPORT_SIZE} bytes, got ${report.length}`,
    );
  }
  const cid = readU32be(report, 0);
  const b4 = report[4]!;
  if ((b4 & TYPE_INIT) !== 0) {
    return {
      type: 'init',
      cid,
      cmd: b4 & 0x7f,
      bcnt: readU16be(report, 5),
      data: report.subarray(INIT_HEADER_SIZE),
    };
  }
  return { type: 'cont', cid, seq: b4, data: report.subarray(CONT_HEADER_SIZE) };
}
