/**
 * What every device front shares, single-process or split: a queue that runs in-process commands
 * one at a time (oneAtATime), and a CtapHidDevice per transport, which runs one transaction at a time
 * and whose INIT capabilities and message limit follow the device's getInfo. The HID transports do
 * not share the in-process queue: a HID transaction and an in-process command can overlap.
 */
import { randomBytes } from '../crypto/aead.js';
import { CtapHidDevice, type ChannelPolicy, type CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidCapability } from '../ctaphid/constants.js';
import { realScheduler, type MessageHandler, type TransactionContext } from '../ctaphid/handler.js';
import type { HidReportPort } from '../transport/hidPort.js';

/** softkey's device version, reported in CTAPHID INIT. */
export const DEVICE_VERSION = [0, 1, 0] as const;

export const NEVER_ABORTED = new AbortController().signal;

export type Exchange = (
  request: Uint8Array,
  ctx: { signal: AbortSignal; setStatus: TransactionContext['setStatus']; cid?: number },
) => Promise<Uint8Array>;

export type QueuedExchange = (
  request: Uint8Array,
  opts?: { signal?: AbortSignal; setStatus?: TransactionContext['setStatus'] },
) => Promise<Uint8Array>;

const IGNORE_STATUS: TransactionContext['setStatus'] = () => {};

/**
 * `run` behind one queue: a request starts when the previous one has answered. An idle device starts
 * a request at once and hands back `run`'s own promise: no promise chained in front of it, which
 * cost every in-process command three microtask turns (issue 19).
 */
export function oneAtATime(run: Exchange): QueuedExchange {
  let running = false;
  const waiting: Array<() => void> = [];
  const next = () => {
    const start = waiting.shift();
    if (start) start();
    else running = false;
  };
  const begin = (request: Uint8Array, ctx: Parameters<Exchange>[1]): Promise<Uint8Array> => {
    let result: Promise<Uint8Array>;
    try {
      result = run(request, ctx);
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(next, next);
    return result;
  };
  return (request, opts) => {
    const ctx = { signal: opts?.signal ?? NEVER_ABORTED, setStatus: opts?.setStatus ?? IGNORE_STATUS };
    if (!running) {
      running = true;
      return begin(request, ctx);
    }
    return new Promise<void>((resolve) => waiting.push(resolve)).then(() => begin(request, ctx));
  };
}

/**
 * How a power cycle treats CTAPHID channels. The control API's power cycle is a re-plug: every
 * channel is forgotten (under channel policy 'allocated' ERR_INVALID_CHANNEL until the host INITs
 * again; under 'any' an old CID is taken again as a new channel). The UDP
 * convention's magic reboot report keeps the channels allocated before it (`keepChannels`), as the
 * solo1 and canokey simulations do; volatile authenticator state is dropped either way.
 */
export interface PowerCycleOptions {
  keepChannels?: boolean;
}

export interface HidFrontOptions {
  handler: MessageHandler;
  /** Whether CTAP1/U2F is offered now (CTAP 2.1 §11.2.9.1.3: NMSG is set only when it is not). */
  offersU2f: () => boolean;
  /** getInfo's maxMsgSize: a longer request is refused at the CTAPHID layer, as on hardware. */
  maxMessageSize: number;
  /** The profile's CTAPHID channel policy (ctaphid/channels.ts): 'allocated' or 'any'. */
  channels: ChannelPolicy;
  onError: (error: unknown) => void;
  trace?: (event: CtapHidTraceEvent) => void;
  /** Wraps each transport's send (fault injection). */
  wrapSend?: (send: (report: Uint8Array) => void) => (report: Uint8Array) => void;
}

/** Creates the CtapHidDevices of a device's transports and power-cycles them together. */
export function hidFront(options: HidFrontOptions): {
  create(send: (report: Uint8Array) => void): CtapHidDevice;
  powerCycle(options?: PowerCycleOptions): void;
} {
  const devices = new Set<CtapHidDevice>();
  return {
    create(send) {
      const hid = new CtapHidDevice({
        handler: options.handler,
        send: options.wrapSend?.(send) ?? send,
        scheduler: realScheduler,
        rng: randomBytes,
        deviceVersion: DEVICE_VERSION,
        capabilities:
          CtapHidCapability.CAPABILITY_WINK |
          CtapHidCapability.CAPABILITY_CBOR |
          (options.offersU2f() ? 0 : CtapHidCapability.CAPABILITY_NMSG),
        maxMessageSize: options.maxMessageSize,
        channels: options.channels,
        onError: options.onError,
        ...(options.trace && { trace: options.trace }),
      });
      devices.add(hid);
      return hid;
    },
    powerCycle(cycle = {}) {
      for (const hid of devices) hid.powerCycle(cycle);
    },
  };
}

/**
 * What attachHid needs of a device: the single-process Device (device.ts) and split mode's front
 * (splitDevice.ts) both satisfy it.
 */
export interface HidFront {
  /** A CTAPHID device (channels, assembly, keepalives) sending its reports to `send`. */
  createHidDevice(send: (report: Uint8Array) => void): CtapHidDevice;
  /** Drops volatile state in every layer (see Device.powerCycle). */
  powerCycle(options?: PowerCycleOptions): void;
}

/**
 * Connects a HID report port (transport/hidPort.ts) to a device front: the port's reports go to a
 * new CtapHidDevice, whose reports go back out of the port. A re-plug of the transport forgets that
 * device's channels; the UDP convention's magic reboot power-cycles the whole device and keeps the
 * channels allocated before it (PowerCycleOptions). Returns the port.
 */
export function attachHid<P extends HidReportPort>(front: HidFront, port: P): P {
  const hid = front.createHidDevice((report) => port.send(report));
  port.onReport((report) => hid.receive(report));
  port.onReplug?.(() => hid.powerCycle());
  port.onReboot?.(() => front.powerCycle({ keepChannels: true }));
  return port;
}
