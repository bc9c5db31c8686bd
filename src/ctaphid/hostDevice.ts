/**
 * CTAP 2.1 §11.2: the HOST side of CTAPHID, as a platform speaks it: allocate a channel with
 * CTAPHID_INIT on the broadcast CID, then PING / CBOR / MSG / WINK / LOCK on that channel, with
 * KEEPALIVE handling and CTAPHID_CANCEL. Used by our own WebAuthn client and the benchmarks over
 * any transport that carries 64-byte reports.
 *
 * One request at a time: calls made while another is running wait their turn.
 * A CTAPHID_ERROR answer rejects with CtapHidError(code); no answer within `timeoutMs` (counted
 * from the last report received, so keepalives extend it) rejects with CtapHidError(ERR_MSG_TIMEOUT).
 *
 * ERR_CHANNEL_BUSY (§11.2.9.1: another channel's transaction is running, or another channel holds
 * CTAPHID_LOCK, §11.2.9.2.4) means the device did not take the request, so it is sent again after a
 * backoff (10 ms, doubling, at most 1 s apart) for at most `busyTimeoutMs` of waiting in all
 * (default 10 s, the longest LOCK), as platforms do; then the ERR_CHANNEL_BUSY is returned.
 */
import { equal, readU32be } from '../encoding/bytes.js';
import { Assembler } from './assembler.js';
import {
  BROADCAST_CID,
  CtapHidCommand,
  CtapHidError,
  CtapHidErrorCode,
  HID_REPORT_SIZE,
  INIT_NONCE_SIZE,
} from './constants.js';
import { encodeInitPacket } from './packet.js';
import { fragment } from './fragmenter.js';
import { realScheduler, type Scheduler } from './handler.js';

/** A pair of report pipes to a device: 64-byte reports out, 64-byte reports in. */
export interface HidReportPipe {
  send(report: Uint8Array): void | Promise<void>;
  onReport(callback: (report: Uint8Array) => void): unknown;
}

export interface CtapHidHostOptions {
  /** Random bytes (INIT nonces). */
  rng: (n: number) => Uint8Array;
  /** Timers for the response timeout; default: the real clock. */
  scheduler?: Scheduler;
  /** Time allowed without any report from the device; default 5000 ms. */
  timeoutMs?: number;
  /**
   * Re-run INIT and retry once when the device answers ERR_INVALID_CHANNEL (it power-cycled and
   * forgot our channel). Safe: the device did not run the request. Default true.
   */
  reinitOnInvalidChannel?: boolean;
  /** Total backoff allowed for ERR_CHANNEL_BUSY retries; 0 disables them. Default 10000 ms. */
  busyTimeoutMs?: number;
}

/** First ERR_CHANNEL_BUSY backoff; each retry doubles it up to BUSY_MAX_DELAY_MS. */
export const BUSY_FIRST_DELAY_MS = 10;
export const BUSY_MAX_DELAY_MS = 1000;
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface CtapHidDeviceInfo {
  readonly cid: number;
  readonly protocolVersion: number;
  readonly deviceVersion: readonly [major: number, minor: number, build: number];
  readonly capabilities: number;
}

export interface CtapHidRequestOptions {
  /** Called with the status byte of each CTAPHID_KEEPALIVE (1 PROCESSING, 2 UPNEEDED). */
  onKeepalive?: (status: number) => void;
  /** Aborting sends CTAPHID_CANCEL; the device's answer (typically CTAP2_ERR_KEEPALIVE_CANCEL) is still returned. */
  signal?: AbortSignal;
}

interface Pending {
  onReport(report: Uint8Array): void;
}

const EMPTY = new Uint8Array(0);
const INIT_RESPONSE_SIZE = INIT_NONCE_SIZE + 4 + 1 + 3 + 1; // 17

export class CtapHidHost {
  private readonly rng: (n: number) => Uint8Array;
  private readonly scheduler: Scheduler;
  private readonly timeoutMs: number;
  private readonly reinitOnInvalidChannel: boolean;
  private readonly busyTimeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private deviceInfo: CtapHidDeviceInfo | undefined;

  constructor(
    private readonly pipe: HidReportPipe,
    options: CtapHidHostOptions,
  ) {
    this.rng = options.rng;
    this.scheduler = options.scheduler ?? realScheduler;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.reinitOnInvalidChannel = options.reinitOnInvalidChannel ?? true;
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    pipe.onReport((report) => this.pending?.onReport(report));
  }

  /** The allocated channel, once init() succeeded. */
  get cid(): number | undefined {
    return this.deviceInfo?.cid;
  }

  /** What the device answered to the last INIT. */
  get info(): CtapHidDeviceInfo | undefined {
    return this.deviceInfo;
  }

  /** CTAPHID_INIT on the broadcast channel: allocates our channel and records the device's version and capabilities. */
  init(): Promise<CtapHidDeviceInfo> {
    return this.exclusive(() => this.whileBusy(() => this.initNow()));
  }

  /** CTAPHID_PING: answers the echoed bytes. */
  ping(data: Uint8Array): Promise<Uint8Array> {
    return this.request(CtapHidCommand.CTAPHID_PING, data, {});
  }

  /** CTAPHID_CBOR: a CTAP2 request (command byte ‖ CBOR); answers status byte ‖ CBOR. */
  cbor(request: Uint8Array, options: CtapHidRequestOptions = {}): Promise<Uint8Array> {
    return this.request(CtapHidCommand.CTAPHID_CBOR, request, options);
  }

  /** CTAPHID_MSG: a CTAP1/U2F APDU; answers response data ‖ SW1 SW2. */
  msg(apdu: Uint8Array, options: CtapHidRequestOptions = {}): Promise<Uint8Array> {
    return this.request(CtapHidCommand.CTAPHID_MSG, apdu, options);
  }

  /** CTAPHID_WINK. */
  async wink(): Promise<void> {
    await this.request(CtapHidCommand.CTAPHID_WINK, EMPTY, {});
  }

  /** CTAPHID_LOCK: 1–10 seconds locks the device to our channel, 0 releases. */
  async lock(seconds: number): Promise<void> {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xff)
      throw new RangeError('lock seconds must be a byte');
    await this.request(CtapHidCommand.CTAPHID_LOCK, new Uint8Array([seconds]), {});
  }

  // ---------------------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private request(cmd: number, data: Uint8Array, options: CtapHidRequestOptions): Promise<Uint8Array> {
    return this.exclusive(async () => {
      options.signal?.throwIfAborted();
      if (this.deviceInfo === undefined) await this.whileBusy(() => this.initNow(), options.signal);
      try {
        return await this.whileBusy(() => this.transact(this.deviceInfo!.cid, cmd, data, options), options.signal);
      } catch (error) {
        if (
          !this.reinitOnInvalidChannel ||
          !(error instanceof CtapHidError) ||
          error.code !== CtapHidErrorCode.ERR_INVALID_CHANNEL
        ) {
          throw error;
        }
        await this.whileBusy(() => this.initNow(), options.signal);
        return await this.whileBusy(() => this.transact(this.deviceInfo!.cid, cmd, data, options), options.signal);
      }
    });
  }

  /** Runs `attempt` again while the device answers ERR_CHANNEL_BUSY, with a bounded backoff (file comment). */
  private async whileBusy<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let waited = 0;
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof CtapHidError) || error.code !== CtapHidErrorCode.ERR_CHANNEL_BUSY) throw error;
        const delay = Math.min(BUSY_FIRST_DELAY_MS * 2 ** retry, BUSY_MAX_DELAY_MS);
        if (waited + delay > this.busyTimeoutMs) {
          if (retry === 0) throw error;
          throw new CtapHidError(
            CtapHidErrorCode.ERR_CHANNEL_BUSY,
            `the device stayed busy with another channel through ${retry} retries over ${waited} ms`,
          );
        }
        await this.sleep(delay, signal);
        waited += delay;
      }
    }
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => (this.scheduler.clearTimeout(timer), reject(signal!.reason));
      const timer = this.scheduler.setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async initNow(): Promise<CtapHidDeviceInfo> {
    const nonce = this.rng(INIT_NONCE_SIZE).slice(0, INIT_NONCE_SIZE);
    if (nonce.length !== INIT_NONCE_SIZE) throw new RangeError('rng returned too few bytes');
    const response = await this.transact(
      BROADCAST_CID,
      CtapHidCommand.CTAPHID_INIT,
      nonce,
      {},
      (answer) =>
        // Other applications' INIT answers also travel on the broadcast channel: match our nonce.
        answer.length >= INIT_RESPONSE_SIZE && equal(answer.subarray(0, INIT_NONCE_SIZE), nonce),
    );
    const cid = readU32be(response, 8);
    if (cid === 0 || cid === BROADCAST_CID) {
      throw new CtapHidError(
        CtapHidErrorCode.ERR_INVALID_CHANNEL,
        `device allocated reserved CID 0x${cid.toString(16)}`,
      );
    }
    this.deviceInfo = {
      cid,
      protocolVersion: response[12]!,
      deviceVersion: [response[13]!, response[14]!, response[15]!],
      capabilities: response[16]!,
    };
    return this.deviceInfo;
  }

  /**
   * Sends one request and waits for its answer on the same channel, skipping keepalives.
   * `accept` filters answers that belong to someone else (INIT nonces).
   */
  private transact(
    cid: number,
    cmd: number,
    data: Uint8Array,
    options: CtapHidRequestOptions,
    accept?: (answer: Uint8Array) => boolean,
  ): Promise<Uint8Array> {
    const reports = fragment(cid, cmd, data);
    return new Promise<Uint8Array>((resolve, reject) => {
      const assembler = new Assembler();
      const { signal, onKeepalive } = options;
      let timer: unknown = undefined;
      let finished = false;

      const finish = (settle: () => void) => {
        if (finished) return;
        finished = true;
        if (timer !== undefined) this.scheduler.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.pending === pending) this.pending = undefined;
        settle();
      };
      const fail = (error: unknown) => finish(() => reject(error));
      // The timeout counts from the last report received: a report only records its time, and the one
      // timer, when it fires, waits again for the rest (no timer cleared and set per report).
      let lastReportAt = this.scheduler.now();
      const wait = (ms: number) => {
        timer = this.scheduler.setTimeout(() => {
          const idle = this.scheduler.now() - lastReportAt;
          if (idle < this.timeoutMs) wait(this.timeoutMs - idle);
          else fail(new CtapHidError(CtapHidErrorCode.ERR_MSG_TIMEOUT, 'no answer from the device'));
        }, ms);
      };
      const arm = () => {
        lastReportAt = this.scheduler.now();
        if (timer === undefined) wait(this.timeoutMs);
      };
      let allSent = false;
      const sendCancel = () => this.sendQuietly(encodeInitPacket(cid, CtapHidCommand.CTAPHID_CANCEL, 0, EMPTY), fail);
      // Once the request is out, CANCEL asks the device to stop; CANCEL is never answered, so we keep
      // waiting for the answer to the cancelled request. Before that, the send loop handles the abort.
      const onAbort = () => {
        if (allSent && !finished) sendCancel();
      };

      const pending: Pending = {
        onReport: (report) => {
          if (finished || report.length !== HID_REPORT_SIZE || readU32be(report, 0) !== cid) return;
          const result = assembler.push(report);
          if (result.kind === 'ignored') return;
          arm();
          if (result.kind === 'need-more') return;
          if (result.kind === 'error') {
            fail(new CtapHidError(result.code, `malformed answer from the device`));
            return;
          }
          switch (result.cmd) {
            case CtapHidCommand.CTAPHID_KEEPALIVE:
              try {
                onKeepalive?.(result.data[0] ?? 0);
              } catch (error) {
                fail(error);
              }
              return;
            case CtapHidCommand.CTAPHID_ERROR:
              fail(new CtapHidError(result.data[0] ?? CtapHidErrorCode.ERR_OTHER));
              return;
            case cmd:
              if (accept !== undefined && !accept(result.data)) return;
              finish(() => resolve(result.data));
              return;
            default:
              fail(
                new CtapHidError(
                  CtapHidErrorCode.ERR_INVALID_CMD,
                  `unexpected answer command 0x${result.cmd.toString(16)}`,
                ),
              );
          }
        },
      };

      this.pending = pending;
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
      void (async () => {
        try {
          for (const [i, report] of reports.entries()) {
            if (finished) return; // the device already answered (e.g. an error after the first packet)
            if (signal?.aborted && i > 0) {
              // Half a message is out: CANCEL drops it on the device, and nothing will answer.
              sendCancel();
              fail(signal.reason);
              return;
            }
            // A synchronous pipe (UDP, in-process) sends the whole message in one go; only a pipe
            // that answers a promise is waited for, report by report.
            const sent = this.pipe.send(report);
            if (sent !== undefined) await sent;
          }
          allSent = true;
          if (signal?.aborted) sendCancel();
        } catch (error) {
          fail(error);
        }
      })();
    });
  }

  private sendQuietly(report: Uint8Array, onError: (error: unknown) => void): void {
    try {
      Promise.resolve(this.pipe.send(report)).catch(onError);
    } catch (error) {
      onError(error);
    }
  }
}
