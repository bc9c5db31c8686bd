/**
 * CTAP 2.1 §11.2.3–11.2.9: the device side of CTAPHID. Channels (CTAPHID_INIT allocation and
 * resync), one transaction at a time device-wide, CTAPHID_PING / WINK / LOCK / CANCEL /
 * KEEPALIVE / ERROR handled here, CTAPHID_MSG and CTAPHID_CBOR payloads handed to the
 * MessageHandler. No I/O of its own: reports arrive through `receive`, leave through `send`;
 * timers come from the injected Scheduler, channel IDs from the injected rng.
 *
 * Choices where the spec leaves room:
 * - CTAPHID_INIT is always answered, even while another channel is busy or holds the lock: it is
 *   a single packet that does not touch the running transaction (resync on a channel locked out
 *   by another channel's LOCK is the exception: ERR_CHANNEL_BUSY).
 * - Every other request while a transaction is being assembled or processed (on any channel,
 *   the busy one included) gets ERR_CHANNEL_BUSY; CANCEL is never answered.
 * - CANCEL while the same channel's request is still being assembled drops that request.
 * - The message timeout (ERR_MSG_TIMEOUT) is measured between packets of one request.
 * - An exception thrown by the handler becomes ERR_OTHER (a thrown CtapHidError keeps its code).
 * - Channel policy (`channels`): 'allocated' (this class's default, as OpenSK; a device built from an
 *   AuthenticatorConfig gets its `hidChannels`, default 'any') serves only CIDs handed out by
 *   CTAPHID_INIT (§11.2.4) and answers any other ERR_INVALID_CHANNEL; 'any' (CTAP 2.0-era keys such as
 *   the solo1 and canokey firmware) takes a request on a non-zero, non-broadcast CID it never handed
 *   out as if INIT had allocated it; busy, lock and cancel rules then apply to it like to any channel,
 *   and INIT on a CID (not broadcast) while another CID's request is being assembled or processed is
 *   ERR_CHANNEL_BUSY too, as on the solo1 firmware (under 'allocated' that INIT is always answered, above).
 */
import { concat, readU32be, u32be } from '../encoding/bytes.js';
import { Assembler, type AssemblerResult } from './assembler.js';
import {
  BROADCAST_CID,
  CTAPHID_PROTOCOL_VERSION,
  CtapHidCapability,
  CtapHidCommand,
  CtapHidError,
  CtapHidErrorCode,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_TRANSACTION_TIMEOUT_MS,
  HID_REPORT_SIZE,
  INIT_NONCE_SIZE,
  KeepaliveStatusCode,
  MAX_LOCK_SECONDS,
  RESERVED_CID,
  TYPE_INIT,
} from './constants.js';
import { fragment } from './fragmenter.js';
import type { KeepaliveStatus, MessageHandler, Scheduler, TransactionContext } from './handler.js';

export type DeviceVersion = readonly [major: number, minor: number, build: number];

/** Which CIDs are served: those CTAPHID_INIT allocated, or any but 0 and broadcast (see the header). */
export type ChannelPolicy = 'allocated' | 'any';

/** One complete message in or out, for traces (the panel's live CTAP trace). */
export interface CtapHidTraceEvent {
  readonly direction: 'in' | 'out';
  readonly cid: number;
  /** Command without the TYPE_INIT bit. */
  readonly cmd: number;
  readonly data: Uint8Array;
}

export interface CtapHidDeviceOptions {
  handler: MessageHandler;
  /** Sends one 64-byte report to the host. */
  send: (report: Uint8Array) => void;
  scheduler: Scheduler;
  /** Random bytes (channel IDs). */
  rng: (n: number) => Uint8Array;
  deviceVersion: DeviceVersion;
  /** INIT capability flags; default CAPABILITY_WINK | CAPABILITY_CBOR (MSG is supported: no NMSG). */
  capabilities?: number;
  /** Time allowed between packets of one request; default 550 ms. */
  transactionTimeoutMs?: number;
  /** Interval between KEEPALIVE reports while the handler runs; default 100 ms. */
  keepaliveIntervalMs?: number;
  /** Most channels remembered; the least recently used idle one is forgotten first. Default 256. */
  maxChannels?: number;
  /** Which CIDs are served; default 'allocated'. */
  channels?: ChannelPolicy;
  /** Largest request accepted (getInfo's maxMsgSize); larger BCNT → ERR_INVALID_LEN. Default 7609. */
  maxMessageSize?: number;
  /** Unexpected errors (handler exceptions, send failures). Default: console.error. */
  onError?: (error: unknown) => void;
  /** Every complete message in and out. */
  trace?: (event: CtapHidTraceEvent) => void;
}

interface Transaction {
  readonly cid: number;
  readonly cmd: number;
  readonly controller: AbortController;
  status: KeepaliveStatus;
  keepaliveTimer: unknown;
}

const EMPTY = new Uint8Array(0);

export class CtapHidDevice {
  private readonly handler: MessageHandler;
  private readonly sendReport: (report: Uint8Array) => void;
  private readonly scheduler: Scheduler;
  private readonly rng: (n: number) => Uint8Array;
  private readonly deviceVersion: DeviceVersion;
  private readonly capabilities: number;
  private readonly transactionTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly maxChannels: number;
  private readonly channelPolicy: ChannelPolicy;
  private readonly onError: (error: unknown) => void;
  private readonly trace: ((event: CtapHidTraceEvent) => void) | undefined;

  /** Allocated CIDs, least recently used first. */
  private readonly channels = new Set<number>();
  /** The last of `channels` (the most recently used), or undefined when unknown. */
  private newestChannel: number | undefined;
  private readonly assembler: Assembler;
  private assemblyTimer: unknown = undefined;
  /** When the last packet of the message being assembled arrived (scheduler time). */
  private lastPacketAt = 0;
  private transaction: Transaction | undefined;
  private lock: { cid: number; until: number } | undefined;

  constructor(options: CtapHidDeviceOptions) {
    this.handler = options.handler;
    this.sendReport = options.send;
    this.scheduler = options.scheduler;
    this.rng = options.rng;
    this.deviceVersion = options.deviceVersion;
    this.capabilities = options.capabilities ?? CtapHidCapability.CAPABILITY_WINK | CtapHidCapability.CAPABILITY_CBOR;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
    this.maxChannels = Math.max(1, options.maxChannels ?? 256);
    this.channelPolicy = options.channels ?? 'allocated';
    this.assembler = new Assembler(
      options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {},
    );
    this.onError = options.onError ?? ((error) => console.error('[ctaphid]', error));
    this.trace = options.trace;
    for (const v of this.deviceVersion) {
      if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError('deviceVersion parts must be bytes');
    }
  }

  /** Number of allocated channels (bounded by maxChannels). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** True while a request is being assembled or processed. */
  get busy(): boolean {
    return this.transaction !== undefined || this.assembler.pendingCid !== undefined;
  }

  /** One report from the host. Never throws; reports that are not 64 bytes are dropped. */
  receive(report: Uint8Array): void {
    if (!(report instanceof Uint8Array) || report.length !== HID_REPORT_SIZE) return;
    const cid = readU32be(report, 0);
    try {
      this.route(cid, report);
    } catch (error) {
      this.fail(cid, error);
    }
  }

  /**
   * Power cycle: drops the lock, the message being assembled and the running transaction, and
   * every channel unless `keepChannels` (the UDP convention's magic reboot report: the solo1 and
   * canokey simulations keep the channels allocated before it, and the SoloKeys suite relies on it).
   */
  powerCycle(options: { keepChannels?: boolean } = {}): void {
    if (this.transaction !== undefined) this.endTransaction(this.transaction, 'power cycle');
    this.assembler.reset();
    this.syncAssemblyTimer(false);
    if (!options.keepChannels) {
      this.channels.clear();
      this.newestChannel = undefined;
    }
    this.lock = undefined;
  }

  // ---- routing ---------------------------------------------------------------------------

  private route(cid: number, report: Uint8Array): void {
    const b4 = report[4]!;
    if ((b4 & TYPE_INIT) === 0) {
      // Continuation packet: part of the message in progress, or ignored.
      this.assembled(this.assembler.push(report));
      return;
    }
    const cmd = b4 & ~TYPE_INIT;
    if (cid === RESERVED_CID) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CHANNEL);
    if (cid === BROADCAST_CID) {
      if (cmd !== CtapHidCommand.CTAPHID_INIT) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CHANNEL);
    } else if (this.channels.has(cid)) {
      this.touch(cid);
    } else {
      if (this.channelPolicy !== 'any') throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CHANNEL);
      this.adopt(cid);
    }
    if (cmd === CtapHidCommand.CTAPHID_CANCEL) {
      this.cancel(cid);
      return;
    }
    if (cid !== BROADCAST_CID && this.lockedByOther(cid)) throw new CtapHidError(CtapHidErrorCode.ERR_CHANNEL_BUSY);
    if (cmd !== CtapHidCommand.CTAPHID_INIT && this.transaction !== undefined) {
      throw new CtapHidError(CtapHidErrorCode.ERR_CHANNEL_BUSY);
    }
    const busyInit = cmd === CtapHidCommand.CTAPHID_INIT && cid !== BROADCAST_CID && this.channelPolicy === 'any';
    if (busyInit && this.busyOnOther(cid)) throw new CtapHidError(CtapHidErrorCode.ERR_CHANNEL_BUSY);
    this.assembled(this.assembler.push(report));
  }

  private assembled(result: AssemblerResult): void {
    switch (result.kind) {
      case 'ignored':
        return;
      case 'need-more':
        this.syncAssemblyTimer(true);
        return;
      case 'error':
        this.syncAssemblyTimer(false);
        throw new CtapHidError(result.code);
      case 'message':
        this.syncAssemblyTimer(false);
        this.emitTrace({ direction: 'in', cid: result.cid, cmd: result.cmd, data: result.data });
        this.dispatch(result.cid, result.cmd, result.data);
        return;
    }
  }

  private dispatch(cid: number, cmd: number, data: Uint8Array): void {
    switch (cmd) {
      case CtapHidCommand.CTAPHID_INIT:
        return this.init(cid, data);
      case CtapHidCommand.CTAPHID_PING:
        return this.respond(cid, cmd, data);
      case CtapHidCommand.CTAPHID_WINK:
        if (data.length !== 0) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_LEN);
        this.handler.wink?.();
        return this.respond(cid, cmd, EMPTY);
      case CtapHidCommand.CTAPHID_LOCK:
        return this.setLock(cid, data);
      case CtapHidCommand.CTAPHID_MSG:
      case CtapHidCommand.CTAPHID_CBOR:
        if (data.length === 0) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_LEN);
        return this.startTransaction(cid, cmd, data);
      default:
        throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CMD);
    }
  }

  // ---- commands --------------------------------------------------------------------------

  private init(cid: number, nonce: Uint8Array): void {
    if (nonce.length !== INIT_NONCE_SIZE) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_LEN);
    let channel: number;
    if (cid === BROADCAST_CID) {
      channel = this.allocate();
    } else {
      // Resync: drop this channel's transaction (the assembler already dropped its partial message).
      if (this.transaction?.cid === cid) this.endTransaction(this.transaction, 'resync');
      channel = cid;
    }
    const [major, minor, build] = this.deviceVersion;
    const body = new Uint8Array([CTAPHID_PROTOCOL_VERSION, major, minor, build, this.capabilities]);
    this.respond(cid, CtapHidCommand.CTAPHID_INIT, concat(nonce, u32be(channel), body));
  }

  private setLock(cid: number, data: Uint8Array): void {
    if (data.length !== 1) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_LEN);
    const seconds = data[0]!;
    if (seconds > MAX_LOCK_SECONDS) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_PAR);
    this.lock = seconds === 0 ? undefined : { cid, until: this.scheduler.now() + seconds * 1000 };
    this.respond(cid, CtapHidCommand.CTAPHID_LOCK, EMPTY);
  }

  private cancel(cid: number): void {
    if (this.transaction?.cid === cid) {
      this.transaction.controller.abort(new CtapHidCancelled());
    } else if (this.assembler.pendingCid === cid) {
      this.assembler.reset();
      this.syncAssemblyTimer(false);
    }
  }

  private startTransaction(cid: number, cmd: number, data: Uint8Array): void {
    const tx: Transaction = {
      cid,
      cmd,
      controller: new AbortController(),
      status: 'processing',
      keepaliveTimer: undefined,
    };
    this.transaction = tx;
    const ctx: TransactionContext = {
      signal: tx.controller.signal,
      cid,
      setStatus: (status) => {
        const wasWaiting = tx.status === 'upneeded';
        tx.status = status;
        // The first UPNEEDED leaves at once (as solo1's status update does), so a platform can show its
        // touch prompt, and a presence test answered at once still shows one (§11.2.9.2.1).
        if (status === 'upneeded' && !wasWaiting && this.transaction === tx) this.sendKeepalive(tx, true);
      },
    };
    this.scheduleKeepalive(tx);
    let answer: Promise<Uint8Array>;
    try {
      answer = cmd === CtapHidCommand.CTAPHID_CBOR ? this.handler.cbor(data, ctx) : this.handler.msg(data, ctx);
    } catch (error) {
      answer = Promise.reject(error);
    }
    Promise.resolve(answer).then(
      (response) => {
        if (this.transaction !== tx) return; // resync or power cycle: nobody waits for it
        this.endTransaction(tx);
        if (!(response instanceof Uint8Array)) {
          this.fail(cid, new TypeError('handler answered something other than a Uint8Array'));
          return;
        }
        try {
          this.respond(cid, cmd, response);
        } catch (error) {
          this.fail(cid, error instanceof CtapHidError ? new Error(error.message) : error);
        }
      },
      (error: unknown) => {
        if (this.transaction !== tx) return;
        this.endTransaction(tx);
        this.fail(cid, error);
      },
    );
  }

  private scheduleKeepalive(tx: Transaction): void {
    tx.keepaliveTimer = this.scheduler.setTimeout(() => {
      if (this.transaction !== tx) return;
      this.sendKeepalive(tx, false);
    }, this.keepaliveIntervalMs);
  }

  /** One KEEPALIVE with the transaction's status; the next follows an interval later. */
  private sendKeepalive(tx: Transaction, restartTimer: boolean): void {
    if (restartTimer && tx.keepaliveTimer !== undefined) this.scheduler.clearTimeout(tx.keepaliveTimer);
    const status =
      tx.status === 'upneeded' ? KeepaliveStatusCode.STATUS_UPNEEDED : KeepaliveStatusCode.STATUS_PROCESSING;
    this.respond(tx.cid, CtapHidCommand.CTAPHID_KEEPALIVE, new Uint8Array([status]));
    this.scheduleKeepalive(tx);
  }

  private endTransaction(tx: Transaction, abortReason?: string): void {
    if (tx.keepaliveTimer !== undefined) this.scheduler.clearTimeout(tx.keepaliveTimer);
    tx.keepaliveTimer = undefined;
    if (this.transaction === tx) this.transaction = undefined;
    if (abortReason !== undefined && !tx.controller.signal.aborted) {
      tx.controller.abort(new CtapHidCancelled(abortReason));
    }
  }

  // ---- channels and lock -----------------------------------------------------------------

  private allocate(): number {
    const valid = (c: number) => c !== RESERVED_CID && c !== BROADCAST_CID && !this.channels.has(c);
    let cid: number | undefined;
    for (let attempt = 0; attempt < 64 && cid === undefined; attempt++) {
      const bytes = this.rng(4);
      const candidate = bytes.length >= 4 ? readU32be(bytes, 0) : RESERVED_CID;
      if (valid(candidate)) cid = candidate;
    }
    // A broken rng must not hang the device: probe upwards (the table is bounded, so this ends).
    for (let c = 1; cid === undefined; c++) if (valid(c)) cid = c;
    this.evictIfFull();
    this.channels.add(cid);
    this.newestChannel = cid;
    return cid;
  }

  /** Channel policy 'any': a CID the host chose itself, remembered as if INIT had allocated it. */
  private adopt(cid: number): void {
    this.evictIfFull();
    this.channels.add(cid);
  }

  private evictIfFull(): void {
    if (this.channels.size < this.maxChannels) return;
    for (const c of this.channels) {
      if (c === this.transaction?.cid || c === this.lock?.cid || c === this.assembler.pendingCid) continue;
      this.channels.delete(c);
      if (c === this.newestChannel) this.newestChannel = undefined;
      return;
    }
  }

  private touch(cid: number): void {
    if (cid === this.newestChannel) return; // already last: every report of a transaction comes here
    this.channels.delete(cid);
    this.channels.add(cid);
    this.newestChannel = cid;
  }

  /** A request of another CID is being assembled or processed. */
  private busyOnOther(cid: number): boolean {
    const busyCid = this.transaction?.cid ?? this.assembler.pendingCid;
    return busyCid !== undefined && busyCid !== cid;
  }

  private lockedByOther(cid: number): boolean {
    if (this.lock !== undefined && this.scheduler.now() >= this.lock.until) this.lock = undefined;
    return this.lock !== undefined && this.lock.cid !== cid;
  }

  // ---- output ----------------------------------------------------------------------------

  /**
   * Keeps the inter-packet timer in step with the assembler: cleared when no message is pending,
   * restarted when a packet of the pending message arrived, left alone otherwise (e.g. a busy
   * answer to another channel). "Restarted" only records the packet's time: the one timer checks
   * it when it fires and waits for the rest, so a long message does not clear and set a timer per report.
   */
  private syncAssemblyTimer(restart: boolean): void {
    const cid = this.assembler.pendingCid;
    if (cid === undefined) {
      if (this.assemblyTimer !== undefined) this.scheduler.clearTimeout(this.assemblyTimer);
      this.assemblyTimer = undefined;
      return;
    }
    if (!restart) return;
    this.lastPacketAt = this.scheduler.now();
    if (this.assemblyTimer === undefined) this.armAssemblyTimer(this.transactionTimeoutMs);
  }

  private armAssemblyTimer(ms: number): void {
    this.assemblyTimer = this.scheduler.setTimeout(() => {
      this.assemblyTimer = undefined;
      const cid = this.assembler.pendingCid;
      if (cid === undefined) return;
      const idle = this.scheduler.now() - this.lastPacketAt;
      if (idle < this.transactionTimeoutMs) return this.armAssemblyTimer(this.transactionTimeoutMs - idle);
      this.assembler.reset();
      this.sendError(cid, CtapHidErrorCode.ERR_MSG_TIMEOUT);
    }, ms);
  }

  private emitTrace(event: CtapHidTraceEvent): void {
    if (this.trace === undefined) return;
    try {
      this.trace(event);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // a failing logger must not take the device down
    }
  }

  /** The one place where errors become CTAPHID_ERROR responses. */
  private fail(cid: number, error: unknown): void {
    if (error instanceof CtapHidError) {
      this.sendError(cid, error.code);
    } else {
      this.report(error);
      this.sendError(cid, CtapHidErrorCode.ERR_OTHER);
    }
  }

  private sendError(cid: number, code: number): void {
    this.respond(cid, CtapHidCommand.CTAPHID_ERROR, new Uint8Array([code]));
  }

  private respond(cid: number, cmd: number, data: Uint8Array): void {
    const reports = fragment(cid, cmd, data);
    this.emitTrace({ direction: 'out', cid, cmd, data });
    for (const report of reports) {
      try {
        this.sendReport(report);
      } catch (error) {
        this.report(error);
        return;
      }
    }
  }
}

/** The abort reason given to a handler's signal on CTAPHID_CANCEL, INIT resync or power cycle. */
export class CtapHidCancelled extends Error {
  override readonly name = 'AbortError';
  constructor(readonly reason: string = 'CTAPHID_CANCEL') {
    super(`transaction aborted: ${reason}`);
  }
}
