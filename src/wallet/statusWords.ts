/**
 * Status words of the Zondax Filecoin app (filecoin-app.md §1.8), with the names the Ledger SDK and
 * ledger-js use. `ApduError(sw, message?)` is the one error class of the wallet: handlers throw it,
 * and only dispatcher.ts turns it into `message ‖ SW1 SW2`.
 *
 * Seed (002_578b7cf66968e422) vs spec: the seed's return-code table lists only 6400, 6982, 6983
 * ("Output buffer too small"), 6986, 6D00, 6E00, 6F00, 9000. The spec adds 6700, 6984 (+ ASCII
 * error text), 6987, 6B00 and 6F01 and gives 6983 its real trigger (message > 16384 bytes). The
 * spec wins; 6F00 stays as the "unexpected internal error" word of this emulator.
 */
export const SW = {
  /** ok */
  OK: 0x9000,
  /** raw-bytes hash update failure; address fill failure */
  EXECUTION_ERROR: 0x6400,
  /** APDU shorter than 5 bytes; path shorter than 20 bytes */
  WRONG_LENGTH: 0x6700,
  /** zero-length APDU */
  EMPTY_BUFFER: 0x6982,
  /** message larger than 16384 bytes */
  OUTPUT_BUFFER_TOO_SMALL: 0x6983,
  /** bad path (no text); parse/validation error, blind-sign or expert mode required (ASCII text) */
  DATA_INVALID: 0x6984,
  /** user rejected; APDU during a pending review; PIN not validated; INS 04 with CLA ≠ E0 */
  COMMAND_NOT_ALLOWED: 0x6986,
  /** ADD/LAST before INIT (TX_NOT_INITIALIZED) */
  TX_NOT_INITIALIZED: 0x6987,
  /** P2 ≠ 0 on a chunked INS; P1 not in {0,1,2} */
  WRONG_P1P2: 0x6b00,
  /** unknown INS */
  INS_NOT_SUPPORTED: 0x6d00,
  /** CLA not 06/E0/B0 */
  CLA_NOT_SUPPORTED: 0x6e00,
  /** anything unexpected inside the emulator (logged) */
  UNKNOWN: 0x6f00,
  /** signing failed after approval */
  SIGN_VERIFY_ERROR: 0x6f01,
} as const;

export type StatusWordName = keyof typeof SW;
export type StatusWord = (typeof SW)[StatusWordName];

/** Every status word this app can answer with. */
export const ALL_STATUS_WORDS: ReadonlySet<number> = new Set(Object.values(SW));

/**
 * The ASCII texts that may accompany 6984 (§4.3), as the C parser spells them. `ParserErrorText` is
 * the union, so a typo is a type error.
 */
export const PARSER_ERROR = {
  NO_DATA: 'No more data',
  INIT_CONTEXT_EMPTY: 'Initialized empty context',
  CBOR_UNEXPECTED: 'unexpected CBOR error',
  CBOR_UNEXPECTED_EOF: 'Unexpected CBOR EOF',
  CBOR_NOT_CANONICAL: 'CBOR was not in canonical order',
  UNEXPECTED_TX_VERSION: 'tx version is not supported',
  UNEXPECTED_TYPE: 'Unexpected data type',
  UNEXPECTED_VALUE: 'Unexpected value',
  UNEXPECTED_NUMBER_ITEMS: 'Unexpected number of items',
  VALUE_OUT_OF_RANGE: 'Value out of range',
  INVALID_ADDRESS: 'Invalid address format',
  UNEXPECTED_ERROR: 'Unexpected internal error',
  UNEXPECTED_FIELD: 'Unexpected field',
  INVALID_PREFIX: 'Invalid raw-bytes prefix',
  UNEXPECTED_BUFFER_END: 'Unexpected buffer end',
  EXPERT_MODE_REQUIRED: 'ExpertModeRequired',
  BLINDSIGN_MODE_REQUIRED: 'Blindsign Mode Required',
} as const;

export type ParserErrorText = (typeof PARSER_ERROR)[keyof typeof PARSER_ERROR];

/** The wallet's one error: a status word plus (for 6984) the ASCII error text sent before it. */
export class ApduError extends Error {
  override name = 'ApduError';
  constructor(
    readonly sw: StatusWord,
    readonly text?: ParserErrorText,
  ) {
    super(text ? `${text} (0x${sw.toString(16)})` : `status 0x${sw.toString(16)}`);
  }
}

/** A 6984 with parser text. */
export function dataInvalid(text: ParserErrorText): ApduError {
  return new ApduError(SW.DATA_INVALID, text);
}
