/**
 * CTAP 2.1 §11.2.4–11.2.5: reassembling reports into messages. A reducer over packets with no
 * I/O and no clock: `push(report)` answers a complete message, an error for one channel, or
 * "need more". One message is assembled at a time (the device serves one transaction at a time);
 * timeouts are the caller's business (it calls `reset()` and answers ERR_MSG_TIMEOUT).
 *
 * Rules:
 * - a report that is not 64 bytes is ignored;
 * - BCNT above the maximum (7609) → ERR_INVALID_LEN;
 * - a continuation packet for no message in progress (or for another channel) is ignored;
 * - a continuation packet with the wrong SEQ → ERR_INVALID_SEQ, and the message is dropped;
 * - an initialization packet on the assembling channel → ERR_INVALID_SEQ and the message is
 *   dropped, except CTAPHID_INIT, which resynchronises: the message is dropped and the INIT is
 *   answered;
 * - an initialization packet on another channel while assembling → ERR_CHANNEL_BUSY for that
 *   channel, except CTAPHID_INIT, which is always a single packet and is passed through without
 *   disturbing the message in progress;
 * - CTAPHID_INIT whose payload does not fit one packet → ERR_INVALID_LEN.
 */
import {
  CONT_DATA_SIZE,
  CtapHidCommand,
  CtapHidErrorCode,
  HID_REPORT_SIZE,
  INIT_DATA_SIZE,
  MAX_MESSAGE_SIZE,
} from './constants.js';
import { allocBytes } from '../encoding/bytes.js';
import { decodePacket } from './packet.js';

export type AssemblerResult =
  | { readonly kind: 'message'; readonly cid: number; readonly cmd: number; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly cid: number; readonly code: number }
  | { readonly kind: 'need-more'; readonly cid: number }
  /** The report was not part of any message (wrong size, stray continuation packet). */
  | { readonly kind: 'ignored' };

interface Pending {
  readonly cid: number;
  readonly cmd: number;
  readonly buffer: Uint8Array;
  filled: number;
  nextSeq: number;
}

export interface AssemblerOptions {
  /** Largest accepted payload; at most (and by default) 7609. */
  maxMessageSize?: number;
}

export class Assembler {
  private pending: Pending | undefined;
  private readonly maxMessageSize: number;

  constructor(options: AssemblerOptions = {}) {
    this.maxMessageSize = Math.min(options.maxMessageSize ?? MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE);
  }

  /** The channel whose message is being assembled, if any. */
  get pendingCid(): number | undefined {
    return this.pending?.cid;
  }

  /** The command of the message being assembled, if any. */
  get pendingCmd(): number | undefined {
    return this.pending?.cmd;
  }

  /** Drops the message in progress (timeout, cancel, power cycle). */
  reset(): void {
    this.pending = undefined;
  }

  push(report: Uint8Array): AssemblerResult {
    if (report.length !== HID_REPORT_SIZE) return { kind: 'ignored' };
    const packet = decodePacket(report);
    const pending = this.pending;

    if (packet.type === 'cont') {
      if (pending === undefined || pending.cid !== packet.cid) return { kind: 'ignored' };
      if (packet.seq !== pending.nextSeq) {
        this.pending = undefined;
        return { kind: 'error', cid: packet.cid, code: CtapHidErrorCode.ERR_INVALID_SEQ };
      }
      const n = Math.min(CONT_DATA_SIZE, pending.buffer.length - pending.filled);
      pending.buffer.set(packet.data.subarray(0, n), pending.filled);
      pending.filled += n;
      pending.nextSeq += 1;
      if (pending.filled < pending.buffer.length) return { kind: 'need-more', cid: packet.cid };
      this.pending = undefined;
      return { kind: 'message', cid: pending.cid, cmd: pending.cmd, data: pending.buffer };
    }

    const isInit = packet.cmd === CtapHidCommand.CTAPHID_INIT;
    if (pending !== undefined) {
      if (pending.cid !== packet.cid) {
        if (!isInit) return { kind: 'error', cid: packet.cid, code: CtapHidErrorCode.ERR_CHANNEL_BUSY };
        // INIT from another channel: single packet, answered beside the message in progress.
        return this.singlePacket(packet.cid, packet.cmd, packet.bcnt, packet.data);
      }
      this.pending = undefined;
      if (!isInit) return { kind: 'error', cid: packet.cid, code: CtapHidErrorCode.ERR_INVALID_SEQ };
    }

    if (packet.bcnt > this.maxMessageSize) {
      return { kind: 'error', cid: packet.cid, code: CtapHidErrorCode.ERR_INVALID_LEN };
    }
    if (packet.bcnt <= INIT_DATA_SIZE || isInit) {
      return this.singlePacket(packet.cid, packet.cmd, packet.bcnt, packet.data);
    }
    const buffer = allocBytes(packet.bcnt); // pooled: a message is mostly 65–1024 bytes (bytes.ts)
    buffer.set(packet.data, 0);
    this.pending = { cid: packet.cid, cmd: packet.cmd, buffer, filled: INIT_DATA_SIZE, nextSeq: 0 };
    return { kind: 'need-more', cid: packet.cid };
  }

  private singlePacket(cid: number, cmd: number, bcnt: number, data: Uint8Array): AssemblerResult {
    if (bcnt > INIT_DATA_SIZE) return { kind: 'error', cid, code: CtapHidErrorCode.ERR_INVALID_LEN };
    return { kind: 'message', cid, cmd, data: data.slice(0, bcnt) };
  }
}
