/**
 * CTAP 2.1 §11.2.4: splitting one message into 64-byte reports, an initialization packet then
 * continuation packets with SEQ 0, 1, 2, ... Pure function.
 */
import { CONT_DATA_SIZE, CtapHidError, CtapHidErrorCode, INIT_DATA_SIZE, MAX_MESSAGE_SIZE } from './constants.js';
import { encodeContPacket, encodeInitPacket } from './packet.js';

/** Reports needed for a payload of `length` bytes. */
export function reportCount(length: number): number {
  if (length <= INIT_DATA_SIZE) return 1;
  return 1 + Math.ceil((length - INIT_DATA_SIZE) / CONT_DATA_SIZE);
}

/**
 * Splits `data` (at most 7609 bytes) into reports for channel `cid`, command `cmd` (without the
 * TYPE_INIT bit). Throws CtapHidError(ERR_INVALID_LEN) when the payload is too long.
 */
export function fragment(cid: number, cmd: number, data: Uint8Array): Uint8Array[] {
  if (data.length > MAX_MESSAGE_SIZE) {
    throw new CtapHidError(
      CtapHidErrorCode.ERR_INVALID_LEN,
      `message of ${data.length} bytes exceeds ${MAX_MESSAGE_SIZE}`,
    );
  }
  const reports = [encodeInitPacket(cid, cmd, data.length, data.subarray(0, INIT_DATA_SIZE))];
  let offset = INIT_DATA_SIZE;
  for (let seq = 0; offset < data.length; seq++) {
    reports.push(encodeContPacket(cid, seq, data.subarray(offset, offset + CONT_DATA_SIZE)));
    offset += CONT_DATA_SIZE;
  }
  return reports;
}
