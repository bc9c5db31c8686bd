/**
 * Decodes traffic for the panel's live trace: CTAPHID messages (CTAP 2.1 §11.2.9 command names,
 * KEEPALIVE status, ERROR codes), CTAP2 commands and responses (§6 command names, §8.2 status names,
 * CBOR in RFC 8949 diagnostic notation), CTAP1/U2F APDUs and the Filecoin app's APDUs.
 */
import { commandName } from '../ctap2/commands.js';
import { statusName } from '../ctap2/status.js';
import type { CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidCommand, CtapHidErrorCode } from '../ctaphid/constants.js';
import { diagnoseBytes } from '../encoding/cborDiagnostic.js';
import { toHex } from '../encoding/bytes.js';
import { CLA, INS, SDK_INS } from '../wallet/dispatcher.js';
import { SW } from '../wallet/statusWords.js';
import type { TraceLog } from './trace.js';

const HID_NAMES = new Map<number, string>(Object.entries(CtapHidCommand).map(([n, c]) => [c, n]));
const HID_ERRORS = new Map<number, string>(Object.entries(CtapHidErrorCode).map(([n, c]) => [c, n]));
const WALLET_INS = new Map<number, string>(Object.entries(INS).map(([n, c]) => [c, n]));
const SW_NAMES = new Map<number, string>(Object.entries(SW).map(([n, c]) => [c as number, n]));
const U2F_INS: Record<number, string> = { 1: 'U2F_REGISTER', 2: 'U2F_AUTHENTICATE', 3: 'U2F_VERSION' };
const MAX_HEX = 2048;

const hex = (b: Uint8Array) => (b.length > MAX_HEX ? toHex(b.subarray(0, MAX_HEX)) + '…' : toHex(b));
const channelHex = (cid: number | undefined) => (cid === undefined ? undefined : cid.toString(16).padStart(8, '0'));
const swName = (sw: number) => `${sw.toString(16).padStart(4, '0')}${SW_NAMES.has(sw) ? ` ${SW_NAMES.get(sw)}` : ''}`;

export class Tracer {
  private readonly keepalive = new Map<number, number>();
  constructor(
    private readonly log: TraceLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** CTAPHID messages other than CBOR/MSG payloads (those appear decoded at their own layer). */
  get enabled(): boolean {
    return this.log.enabled;
  }

  hid(e: CtapHidTraceEvent): void {
    if (!this.log.enabled) return;
    if (e.cmd === CtapHidCommand.CTAPHID_CBOR || e.cmd === CtapHidCommand.CTAPHID_MSG) {
      this.keepalive.delete(e.cid);
      return;
    }
    if (e.cmd === CtapHidCommand.CTAPHID_KEEPALIVE) {
      // One entry per change of status, not one every 100 ms.
      if (this.keepalive.get(e.cid) === e.data[0]) return;
      this.keepalive.set(e.cid, e.data[0]!);
    }
    const name = HID_NAMES.get(e.cmd) ?? `0x${e.cmd.toString(16)}`;
    let detail: string | undefined;
    if (e.cmd === CtapHidCommand.CTAPHID_KEEPALIVE)
      detail = e.data[0] === 2 ? 'UPNEEDED' : e.data[0] === 1 ? 'PROCESSING' : `status ${e.data[0]}`;
    if (e.cmd === CtapHidCommand.CTAPHID_ERROR) detail = HID_ERRORS.get(e.data[0]!) ?? `0x${e.data[0]?.toString(16)}`;
    if (e.cmd === CtapHidCommand.CTAPHID_INIT && e.direction === 'out' && e.data.length >= 17) {
      detail = `nonce ${toHex(e.data.subarray(0, 8))} → channel ${toHex(e.data.subarray(8, 12))}, protocol ${e.data[12]}, version ${e.data[13]}.${e.data[14]}.${e.data[15]}, capabilities 0x${e.data[16]!.toString(16)}`;
    }
    this.add('ctaphid', e.direction, name, e.data, { channel: channelHex(e.cid), detail });
  }

  ctap2Request(request: Uint8Array, cid?: number): void {
    if (!this.log.enabled) return;
    const command = request[0];
    const name = command === undefined ? '(empty)' : commandName(command);
    this.add('ctap2', 'in', name, request, {
      channel: channelHex(cid),
      detail: request.length > 1 ? (diagnoseBytes(request.subarray(1)) ?? '(not CBOR)') : undefined,
    });
  }

  ctap2Response(request: Uint8Array, response: Uint8Array, cid?: number): void {
    if (!this.log.enabled) return;
    const command = request[0];
    const name = command === undefined ? '(empty)' : commandName(command);
    this.add('ctap2', 'out', name, response, {
      channel: channelHex(cid),
      status: response.length ? statusName(response[0]!) : '(empty)',
      detail: response.length > 1 ? (diagnoseBytes(response.subarray(1)) ?? '(not CBOR)') : undefined,
    });
  }

  ctap1(direction: 'in' | 'out', apdu: Uint8Array, request: Uint8Array, cid?: number): void {
    if (!this.log.enabled) return;
    const ins = request[1];
    const name = ins === undefined ? '(empty)' : (U2F_INS[ins] ?? `INS 0x${ins.toString(16)}`);
    const sw =
      direction === 'out' && apdu.length >= 2 ? (apdu[apdu.length - 2]! << 8) | apdu[apdu.length - 1]! : undefined;
    this.add('ctap1', direction, name, apdu, {
      channel: channelHex(cid),
      status: sw === undefined ? undefined : swName(sw),
    });
  }

  /** The Filecoin app's APDUs (CLA INS P1 P2 …, answers … SW1 SW2). */
  apdu(direction: 'in' | 'out', apdu: Uint8Array, request: Uint8Array): void {
    if (!this.log.enabled) return;
    const [cla, ins, p1] = request;
    const name =
      cla === CLA.SDK
        ? ins === SDK_INS.APP_INFO
          ? 'APP_INFO'
          : `SDK INS 0x${ins?.toString(16)}`
        : `${WALLET_INS.get(ins ?? -1) ?? `INS 0x${ins?.toString(16)}`}${p1 !== undefined ? ` P1=${p1}` : ''}`;
    const sw =
      direction === 'out' && apdu.length >= 2 ? (apdu[apdu.length - 2]! << 8) | apdu[apdu.length - 1]! : undefined;
    this.add('apdu', direction, name, apdu, { status: sw === undefined ? undefined : swName(sw) });
  }

  private add(
    layer: 'ctaphid' | 'ctap2' | 'ctap1' | 'apdu',
    direction: 'in' | 'out',
    name: string,
    data: Uint8Array,
    extra: { channel?: string | undefined; status?: string | undefined; detail?: string | undefined },
  ): void {
    this.log.add({
      time: this.now(),
      layer,
      direction,
      name,
      ...(extra.channel !== undefined && { channel: extra.channel }),
      ...(extra.status !== undefined && { status: extra.status }),
      ...(extra.detail !== undefined && { detail: extra.detail }),
      hex: hex(data),
    });
  }
}
