/**
 * FIDO U2F Raw Message Formats v1.2 §3.3 "Status Codes" (ISO 7816-4 status words), with the
 * spec's own names, and the one error class of the CTAP1/U2F layer: a Ctap1Error becomes its
 * status word in exactly one place (ctap1/dispatch.ts).
 * https://fidoalliance.org/specs/fido-u2f-v1.2-ps-20170411/fido-u2f-raw-message-formats-v1.2-ps-20170411.html#status-codes
 */
export const StatusWord = {
  /** The command completed successfully without error. */
  SW_NO_ERROR: 0x9000,
  /** The request was rejected due to test-of-user-presence being required. */
  SW_CONDITIONS_NOT_SATISFIED: 0x6985,
  /** The request was rejected due to an invalid key handle. */
  SW_WRONG_DATA: 0x6a80,
  /** The length of the request was invalid. */
  SW_WRONG_LENGTH: 0x6700,
  /** The Class byte of the request is not supported. */
  SW_CLA_NOT_SUPPORTED: 0x6e00,
  /** The Instruction of the request is not supported. */
  SW_INS_NOT_SUPPORTED: 0x6d00,
  /** ISO 7816-4 "not enough memory space in the file": REGISTER when a slot profile is full. */
  SW_NOT_ENOUGH_MEMORY: 0x6a84,
  /** ISO 7816-4 "no precise diagnosis": what anything unexpected becomes (never a crash). */
  SW_UNKNOWN: 0x6f00,
} as const;

export type StatusWordName = keyof typeof StatusWord;

const NAMES = new Map<number, StatusWordName>(
  (Object.entries(StatusWord) as Array<[StatusWordName, number]>).map(([name, sw]) => [sw, name]),
);

export function statusWordName(sw: number): string {
  return NAMES.get(sw) ?? `0x${sw.toString(16).padStart(4, '0')}`;
}

/** The one CTAP1/U2F protocol error; `sw` is a status word of the table above. */
export class Ctap1Error extends Error {
  override readonly name = 'Ctap1Error';
  constructor(
    readonly sw: number,
    detail?: string,
  ) {
    super(detail ? `${statusWordName(sw)}: ${detail}` : statusWordName(sw));
  }
}
