/**
 * Chunked signing (filecoin-app.md §1.6): P1 = 00 INIT (20-byte path only; resets the session),
 * 01 ADD, 02 LAST; P2 must be 0. ADD/LAST without INIT → 6987; LAST ends the session. The buffered
 * message may be at most 16384 bytes; a chunk that would overflow → 6983 and the session is dropped.
 *
 * Seed vs spec: the seed's SIGN table says P2 is "not used"; the spec (P2 ≠ 0 → 6B00) wins.
 * A session belongs to the INS that opened it (ADD/LAST under another INS → 6987); the device
 * shares one buffer between INS 02 and 08, which no client relies on.
 */
import { concat } from '../encoding/bytes.js';
import type { CommandApdu } from './apdu.js';
import { readPath, type FilecoinPath } from './bip32Path.js';
import type { WalletContext } from './context.js';
import { ApduError, SW } from './statusWords.js';

export const PAYLOAD_TYPE = { INIT: 0x00, ADD: 0x01, LAST: 0x02 } as const;
export const MAX_MESSAGE_LENGTH = 16384;

/** Checks P1/P2 of a chunked instruction; returns the payload type. */
export function payloadType(apdu: CommandApdu): number {
  if (apdu.p2 !== 0) throw new ApduError(SW.WRONG_P1P2);
  if (apdu.p1 !== PAYLOAD_TYPE.INIT && apdu.p1 !== PAYLOAD_TYPE.ADD && apdu.p1 !== PAYLOAD_TYPE.LAST) {
    throw new ApduError(SW.WRONG_P1P2);
  }
  return apdu.p1;
}

/** INIT: validates the path and opens a fresh session. */
export function initSession(apdu: CommandApdu, ctx: WalletContext, kind: 'buffer' | 'stream'): void {
  ctx.session = { kind: 'idle' };
  const path = readPath(apdu.data);
  ctx.session =
    kind === 'buffer'
      ? { kind, ins: apdu.ins, path, parts: [], length: 0 }
      : { kind, ins: apdu.ins, path, hash: undefined, total: 0, current: 0 };
}

/**
 * One step of a buffered instruction (INS 02, 08). Returns the path and whole message on LAST,
 * undefined after INIT and ADD.
 */
export function bufferChunk(
  apdu: CommandApdu,
  ctx: WalletContext,
): { path: FilecoinPath; message: Uint8Array } | undefined {
  const p1 = payloadType(apdu);
  if (p1 === PAYLOAD_TYPE.INIT) {
    initSession(apdu, ctx, 'buffer');
    return undefined;
  }
  const s = ctx.session;
  if (s.kind !== 'buffer' || s.ins !== apdu.ins) throw new ApduError(SW.TX_NOT_INITIALIZED);
  if (s.length + apdu.data.length > MAX_MESSAGE_LENGTH) {
    ctx.session = { kind: 'idle' };
    throw new ApduError(SW.OUTPUT_BUFFER_TOO_SMALL);
  }
  s.parts.push(apdu.data.slice());
  s.length += apdu.data.length;
  if (p1 === PAYLOAD_TYPE.ADD) return undefined;
  ctx.session = { kind: 'idle' };
  return { path: s.path, message: concat(...s.parts) };
}
