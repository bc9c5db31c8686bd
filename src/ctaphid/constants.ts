/**
 * CTAP 2.1 §11.2 "USB Human Interface Device (USB HID)": the CTAPHID constant tables, with the
 * spec's own names, and the one error class of this layer.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#usb
 */

/** §11.2.4 (message and packet structure): size of one HID report (no report ID byte). */
export const HID_REPORT_SIZE = 64;
/** §11.2.4: an initialization packet carries CID(4) ‖ CMD(1) ‖ BCNTH(1) ‖ BCNTL(1) ‖ DATA(57). */
export const INIT_HEADER_SIZE = 7;
export const INIT_DATA_SIZE = HID_REPORT_SIZE - INIT_HEADER_SIZE; // 57
/** §11.2.4: a continuation packet carries CID(4) ‖ SEQ(1) ‖ DATA(59). */
export const CONT_HEADER_SIZE = 5;
export const CONT_DATA_SIZE = HID_REPORT_SIZE - CONT_HEADER_SIZE; // 59
/** §11.2.4: sequence numbers run 0..0x7f. */
export const MAX_SEQ = 0x7f;
/** §11.2.4: 64 - 7 + 128 * (64 - 5) = 7609 bytes. */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + (MAX_SEQ + 1) * CONT_DATA_SIZE; // 7609

/** §11.2.4: bit 7 of the CMD byte marks an initialization packet. */
export const TYPE_INIT = 0x80;
/** §11.2.9 CTAPHID_INIT: the broadcast channel, only for CTAPHID_INIT. */
export const BROADCAST_CID = 0xffffffff;
/** CID 0 is reserved and never valid. */
export const RESERVED_CID = 0;
/** §11.2.9 CTAPHID_INIT: CTAPHID protocol version identifier answered by INIT. */
export const CTAPHID_PROTOCOL_VERSION = 2;
/** §11.2.9 CTAPHID_INIT: the nonce sent in CTAPHID_INIT. */
export const INIT_NONCE_SIZE = 8;

/** §11.2.9: commands, without the TYPE_INIT bit (the wire byte is `TYPE_INIT | cmd`). */
export const CtapHidCommand = {
  CTAPHID_PING: 0x01,
  CTAPHID_MSG: 0x03,
  CTAPHID_LOCK: 0x04,
  CTAPHID_INIT: 0x06,
  CTAPHID_WINK: 0x08,
  CTAPHID_CBOR: 0x10,
  CTAPHID_CANCEL: 0x11,
  CTAPHID_KEEPALIVE: 0x3b,
  CTAPHID_ERROR: 0x3f,
} as const;
export type CtapHidCommandName = keyof typeof CtapHidCommand;
export type CtapHidCommandCode = (typeof CtapHidCommand)[CtapHidCommandName];

/** §11.2.9 (vendor-specific commands) command range (none implemented here; they answer INVALID_CMD). */
export const CTAPHID_VENDOR_FIRST = 0x40;
export const CTAPHID_VENDOR_LAST = 0x7f;

/** §11.2.9 CTAPHID_INIT: capability flags in the INIT response. */
export const CtapHidCapability = {
  CAPABILITY_WINK: 0x01,
  CAPABILITY_CBOR: 0x04,
  CAPABILITY_NMSG: 0x08,
} as const;

/** §11.2.9 CTAPHID_ERROR: error codes. */
export const CtapHidErrorCode = {
  ERR_INVALID_CMD: 0x01,
  ERR_INVALID_PAR: 0x02,
  ERR_INVALID_LEN: 0x03,
  ERR_INVALID_SEQ: 0x04,
  ERR_MSG_TIMEOUT: 0x05,
  ERR_CHANNEL_BUSY: 0x06,
  ERR_LOCK_REQUIRED: 0x0a,
  ERR_INVALID_CHANNEL: 0x0b,
  ERR_OTHER: 0x7f,
} as const;
export type CtapHidErrorName = keyof typeof CtapHidErrorCode;

/** §11.2.9 CTAPHID_KEEPALIVE: status byte. */
export const KeepaliveStatusCode = {
  STATUS_PROCESSING: 1,
  STATUS_UPNEEDED: 2,
} as const;

/** §11.2.9 CTAPHID_LOCK: accepts 0 (release) to 10 seconds. */
export const MAX_LOCK_SECONDS = 10;

/**
 * Time allowed between two packets of one message before ERR_MSG_TIMEOUT. The spec only says
 * "transaction timeout"; 550 ms follows trussed's usbd-ctaphid.
 */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 550;
/** §11.2.9 CTAPHID_KEEPALIVE: sent at least every 100 ms while a request is processed. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 100;

const ERROR_NAMES = new Map<number, string>(Object.entries(CtapHidErrorCode).map(([k, v]) => [v, k]));

export function ctapHidErrorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** The one error class of the CTAPHID layer; turned into a CTAPHID_ERROR response in channels.ts. */
export class CtapHidError extends Error {
  override readonly name = 'CtapHidError';
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `CTAPHID ${ctapHidErrorName(code)}`);
  }
}
