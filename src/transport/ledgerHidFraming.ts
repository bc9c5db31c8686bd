/**
 * Ledger USB HID framing (ledger-live `devices/src/hid-framing.ts`; filecoin-app.md §6.3), as a pure
 * codec ready for a HID transport. Every packet (64 bytes) is
 *   channel u16 BE ‖ tag 0x05 ‖ sequence u16 BE (from 0) ‖ data
 * and the first packet's data starts with the u16 BE total length of the message (an APDU from the
 * host, `answer ‖ SW` from the device), so it carries 57 message bytes and later ones 59. The last
 * packet is zero-padded. The device answers on the channel the host used. (node-hid adds a leading
 * 0x00 report id on writes; that byte belongs to the transport, not to this codec.)
 */

export const LEDGER_HID_PACKET_SIZE = 64;
export const LEDGER_HID_TAG_APDU = 0x05;
const HEADER = 5;
/** The length prefix is a u16. */
export const LEDGER_HID_MAX_MESSAGE = 0xffff;

/** Splits a message into zero-padded packets on `channel`. */
export function makeBlocks(channel: number, message: Uint8Array, packetSize = LEDGER_HID_PACKET_SIZE): Uint8Array[] {
  if (message.length > LEDGER_HID_MAX_MESSAGE) throw new RangeError('message longer than 65535 bytes');
  if (packetSize <= HEADER + 2) throw new RangeError('packet size too small');
  const data = new Uint8Array(2 + message.length);
  data[0] = message.length >>> 8;
  data[1] = message.length & 0xff;
  data.set(message, 2);
  const blockSize = packetSize - HEADER;
  const count = Math.max(1, Math.ceil(data.length / blockSize));
  const blocks: Uint8Array[] = [];
  for (let seq = 0; seq < count; seq++) {
    const packet = new Uint8Array(packetSize);
    packet[0] = (channel >>> 8) & 0xff;
    packet[1] = channel & 0xff;
    packet[2] = LEDGER_HID_TAG_APDU;
    packet[3] = (seq >>> 8) & 0xff;
    packet[4] = seq & 0xff;
    packet.set(data.subarray(seq * blockSize, (seq + 1) * blockSize), HEADER);
    blocks.push(packet);
  }
  return blocks;
}

/** Accumulator between packets of one message. */
export interface HidReduceState {
  channel: number;
  dataLength: number;
  sequence: number;
  data: Uint8Array;
}

export type HidReduceResult =
  | { kind: 'need-more'; state: HidReduceState }
  | { kind: 'message'; channel: number; message: Uint8Array }
  | { kind: 'error'; error: 'short-packet' | 'invalid-channel' | 'invalid-tag' | 'invalid-sequence' };

/**
 * Feeds one packet. Without `state` the packet must start a message (sequence 0); its channel is
 * adopted unless `expectChannel` is given (a host checks the device's answer against its channel).
 */
export function reduce(state: HidReduceState | undefined, packet: Uint8Array, expectChannel?: number): HidReduceResult {
  if (packet.length < HEADER + (state ? 0 : 2)) return { kind: 'error', error: 'short-packet' };
  const channel = (packet[0]! << 8) | packet[1]!;
  const want = state ? state.channel : expectChannel;
  if (want !== undefined && channel !== want) return { kind: 'error', error: 'invalid-channel' };
  if (packet[2] !== LEDGER_HID_TAG_APDU) return { kind: 'error', error: 'invalid-tag' };
  const sequence = (packet[3]! << 8) | packet[4]!;
  if (sequence !== (state ? state.sequence : 0)) return { kind: 'error', error: 'invalid-sequence' };
  let dataLength: number;
  let chunk: Uint8Array;
  let data: Uint8Array;
  if (!state) {
    dataLength = (packet[5]! << 8) | packet[6]!;
    chunk = packet.subarray(HEADER + 2);
    data = new Uint8Array(0);
  } else {
    dataLength = state.dataLength;
    chunk = packet.subarray(HEADER);
    data = state.data;
  }
  const take = Math.min(chunk.length, dataLength - data.length);
  const next = new Uint8Array(data.length + take);
  next.set(data, 0);
  next.set(chunk.subarray(0, take), data.length);
  if (next.length === dataLength) return { kind: 'message', channel, message: next };
  return { kind: 'need-more', state: { channel, dataLength, sequence: sequence + 1, data: next } };
}

/** Stateful wrapper: push packets, get whole messages; an error resets the assembler. */
export class HidAssembler {
  private state: HidReduceState | undefined;
  constructor(private readonly expectChannel?: number) {}
  push(packet: Uint8Array): HidReduceResult {
    const r = reduce(this.state, packet, this.expectChannel);
    this.state = r.kind === 'need-more' ? r.state : undefined;
    return r;
  }
}
