/**
 * Linux UHID transport (Documentation/hid/uhid.rst, include/uapi/linux/uhid.h): the device writes
 * `struct uhid_event`s to /dev/uhid and the kernel creates a HID device (and a /dev/hidrawN node)
 * that every client on the host sees as a USB security key: browsers, libfido2, OpenSSH.
 *
 *   us → kernel: UHID_CREATE2 (descriptor, ids, name), UHID_INPUT2 (a report to the host),
 *                UHID_GET_REPORT_REPLY / UHID_SET_REPORT_REPLY, UHID_DESTROY
 *   kernel → us: UHID_START / UHID_STOP (driver bound/unbound), UHID_OPEN / UHID_CLOSE (first
 *                hidraw user opened / last one closed), UHID_OUTPUT (a report from the host),
 *                UHID_GET_REPORT / UHID_SET_REPORT (control requests; we have no feature reports)
 *
 * `struct uhid_event` is packed and native-endian: __u32 type, then a union whose largest member,
 * uhid_create2_req, is 128+64+64+2+2+4·4+4096 = 4372 bytes, so every event is 4 + 4372 = 4376
 * bytes. The kernel returns exactly one whole event per read(2) and takes one event per write(2);
 * shorter writes are zero-extended. We always write whole events, so a byte stream of events
 * (a socket standing in for the device file in tests, `uhidFileFromStream`) is framed by that size.
 *
 * Bytes in and out only: what the reports mean is the caller's business.
 */
import { open as fsOpen, read as fsRead, write as fsWrite, close as fsClose } from 'node:fs';
import { portEvents, type HidReportPort } from './hidPort.js';
import { endianness } from 'node:os';
import type { Duplex } from 'node:stream';
import { FIDO_REPORT_DESCRIPTOR, fixedString, HID_REPORT_SIZE, readFixedString } from './usbDescriptors.js';

/** enum uhid_event_type (the __UHID_LEGACY_* values are never sent by current kernels). */
export const UhidEventType = {
  UHID_DESTROY: 1,
  UHID_START: 2,
  UHID_STOP: 3,
  UHID_OPEN: 4,
  UHID_CLOSE: 5,
  UHID_OUTPUT: 6,
  UHID_GET_REPORT: 9,
  UHID_GET_REPORT_REPLY: 10,
  UHID_CREATE2: 11,
  UHID_INPUT2: 12,
  UHID_SET_REPORT: 13,
  UHID_SET_REPORT_REPLY: 14,
} as const;

/** enum uhid_report_type. */
export const UhidReportType = { UHID_FEATURE_REPORT: 0, UHID_OUTPUT_REPORT: 1, UHID_INPUT_REPORT: 2 } as const;

/** UHID_DATA_MAX and HID_MAX_DESCRIPTOR_SIZE (include/uapi/linux/hid.h) are both 4096. */
export const UHID_DATA_MAX = 4096;
export const HID_MAX_DESCRIPTOR_SIZE = 4096;
/** sizeof(struct uhid_event). */
export const UHID_EVENT_SIZE = 4376;
/** BUS_USB from include/uapi/linux/input.h. */
export const BUS_USB = 0x03;
export const EIO = 5;

/** Byte offsets inside struct uhid_event (the union starts at 4). */
const OFF = {
  type: 0,
  create2: {
    name: 4,
    phys: 132,
    uniq: 196,
    rdSize: 260,
    bus: 262,
    vendor: 264,
    product: 268,
    version: 272,
    country: 276,
    rdData: 280,
  },
  start: { devFlags: 4 },
  output: { data: 4, size: 4100, rtype: 4102 },
  input2: { size: 4, data: 6 },
  getReport: { id: 4, rnum: 8, rtype: 9 },
  getReportReply: { id: 4, err: 8, size: 10, data: 12 },
  setReport: { id: 4, rnum: 8, rtype: 9, size: 10, data: 12 },
  setReportReply: { id: 4, err: 8 },
} as const;

export type UhidEvent =
  | {
      type: typeof UhidEventType.UHID_CREATE2;
      name: string;
      phys: string;
      uniq: string;
      bus: number;
      vendor: number;
      product: number;
      version: number;
      country: number;
      reportDescriptor: Uint8Array;
    }
  | { type: typeof UhidEventType.UHID_DESTROY }
  | { type: typeof UhidEventType.UHID_START; devFlags: bigint }
  | { type: typeof UhidEventType.UHID_STOP }
  | { type: typeof UhidEventType.UHID_OPEN }
  | { type: typeof UhidEventType.UHID_CLOSE }
  | { type: typeof UhidEventType.UHID_OUTPUT; data: Uint8Array; rtype: number }
  | { type: typeof UhidEventType.UHID_INPUT2; data: Uint8Array }
  | { type: typeof UhidEventType.UHID_GET_REPORT; id: number; rnum: number; rtype: number }
  | { type: typeof UhidEventType.UHID_GET_REPORT_REPLY; id: number; err: number; data: Uint8Array }
  | { type: typeof UhidEventType.UHID_SET_REPORT; id: number; rnum: number; rtype: number; data: Uint8Array }
  | { type: typeof UhidEventType.UHID_SET_REPORT_REPLY; id: number; err: number }
  | { type: 'unknown'; code: number };

/** The struct is native-endian; every Linux this runs on today is little-endian, but ask. */
const LITTLE = endianness() === 'LE';

function checkData(data: Uint8Array, max: number): void {
  if (data.length > max) throw new RangeError(`uhid data of ${data.length} bytes exceeds ${max}`);
}

/** Encodes one whole event (UHID_EVENT_SIZE bytes, zero-filled). */
export function encodeUhidEvent(event: UhidEvent, littleEndian = LITTLE): Uint8Array {
  const out = new Uint8Array(UHID_EVENT_SIZE);
  const view = new DataView(out.buffer);
  if (event.type === 'unknown') throw new TypeError(`cannot encode an unknown uhid event ${event.code}`);
  view.setUint32(OFF.type, event.type, littleEndian);
  switch (event.type) {
    case UhidEventType.UHID_CREATE2: {
      const o = OFF.create2;
      checkData(event.reportDescriptor, HID_MAX_DESCRIPTOR_SIZE);
      out.set(fixedString(event.name, 128), o.name);
      out.set(fixedString(event.phys, 64), o.phys);
      out.set(fixedString(event.uniq, 64), o.uniq);
      view.setUint16(o.rdSize, event.reportDescriptor.length, littleEndian);
      view.setUint16(o.bus, event.bus, littleEndian);
      view.setUint32(o.vendor, event.vendor, littleEndian);
      view.setUint32(o.product, event.product, littleEndian);
      view.setUint32(o.version, event.version, littleEndian);
      view.setUint32(o.country, event.country, littleEndian);
      out.set(event.reportDescriptor, o.rdData);
      break;
    }
    case UhidEventType.UHID_START:
      view.setBigUint64(OFF.start.devFlags, event.devFlags, littleEndian);
      break;
    case UhidEventType.UHID_OUTPUT:
      checkData(event.data, UHID_DATA_MAX);
      out.set(event.data, OFF.output.data);
      view.setUint16(OFF.output.size, event.data.length, littleEndian);
      out[OFF.output.rtype] = event.rtype;
      break;
    case UhidEventType.UHID_INPUT2:
      checkData(event.data, UHID_DATA_MAX);
      view.setUint16(OFF.input2.size, event.data.length, littleEndian);
      out.set(event.data, OFF.input2.data);
      break;
    case UhidEventType.UHID_GET_REPORT:
      view.setUint32(OFF.getReport.id, event.id, littleEndian);
      out[OFF.getReport.rnum] = event.rnum;
      out[OFF.getReport.rtype] = event.rtype;
      break;
    case UhidEventType.UHID_GET_REPORT_REPLY:
      checkData(event.data, UHID_DATA_MAX);
      view.setUint32(OFF.getReportReply.id, event.id, littleEndian);
      view.setUint16(OFF.getReportReply.err, event.err, littleEndian);
      view.setUint16(OFF.getReportReply.size, event.data.length, littleEndian);
      out.set(event.data, OFF.getReportReply.data);
      break;
    case UhidEventType.UHID_SET_REPORT:
      checkData(event.data, UHID_DATA_MAX);
      view.setUint32(OFF.setReport.id, event.id, littleEndian);
      out[OFF.setReport.rnum] = event.rnum;
      out[OFF.setReport.rtype] = event.rtype;
      view.setUint16(OFF.setReport.size, event.data.length, littleEndian);
      out.set(event.data, OFF.setReport.data);
      break;
    case UhidEventType.UHID_SET_REPORT_REPLY:
      view.setUint32(OFF.setReportReply.id, event.id, littleEndian);
      view.setUint16(OFF.setReportReply.err, event.err, littleEndian);
      break;
    default:
      break; // DESTROY, STOP, OPEN, CLOSE: the type alone
  }
  return out;
}

/**
 * Decodes one event. Shorter input is zero-extended first (the kernel's rule for short events);
 * sizes beyond UHID_DATA_MAX are clamped.
 */
export function decodeUhidEvent(bytes: Uint8Array, littleEndian = LITTLE): UhidEvent {
  if (bytes.length < 4) throw new RangeError('a uhid event starts with a 4-byte type');
  let b = bytes;
  if (b.length < UHID_EVENT_SIZE) {
    b = new Uint8Array(UHID_EVENT_SIZE);
    b.set(bytes);
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (o: number) => view.getUint16(o, littleEndian);
  const u32 = (o: number) => view.getUint32(o, littleEndian);
  const data = (o: number, n: number) => b.slice(o, o + Math.min(n, UHID_DATA_MAX));
  const type = u32(OFF.type);
  switch (type) {
    case UhidEventType.UHID_CREATE2: {
      const o = OFF.create2;
      return {
        type,
        name: readFixedString(b.subarray(o.name, o.name + 128)),
        phys: readFixedString(b.subarray(o.phys, o.phys + 64)),
        uniq: readFixedString(b.subarray(o.uniq, o.uniq + 64)),
        bus: u16(o.bus),
        vendor: u32(o.vendor),
        product: u32(o.product),
        version: u32(o.version),
        country: u32(o.country),
        reportDescriptor: data(o.rdData, u16(o.rdSize)),
      };
    }
    case UhidEventType.UHID_DESTROY:
    case UhidEventType.UHID_STOP:
    case UhidEventType.UHID_OPEN:
    case UhidEventType.UHID_CLOSE:
      return { type };
    case UhidEventType.UHID_START:
      return { type, devFlags: view.getBigUint64(OFF.start.devFlags, littleEndian) };
    case UhidEventType.UHID_OUTPUT:
      return { type, data: data(OFF.output.data, u16(OFF.output.size)), rtype: b[OFF.output.rtype]! };
    case UhidEventType.UHID_INPUT2:
      return { type, data: data(OFF.input2.data, u16(OFF.input2.size)) };
    case UhidEventType.UHID_GET_REPORT:
      return { type, id: u32(OFF.getReport.id), rnum: b[OFF.getReport.rnum]!, rtype: b[OFF.getReport.rtype]! };
    case UhidEventType.UHID_GET_REPORT_REPLY:
      return {
        type,
        id: u32(OFF.getReportReply.id),
        err: u16(OFF.getReportReply.err),
        data: data(OFF.getReportReply.data, u16(OFF.getReportReply.size)),
      };
    case UhidEventType.UHID_SET_REPORT:
      return {
        type,
        id: u32(OFF.setReport.id),
        rnum: b[OFF.setReport.rnum]!,
        rtype: b[OFF.setReport.rtype]!,
        data: data(OFF.setReport.data, u16(OFF.setReport.size)),
      };
    case UhidEventType.UHID_SET_REPORT_REPLY:
      return { type, id: u32(OFF.setReportReply.id), err: u16(OFF.setReportReply.err) };
    default:
      return { type: 'unknown', code: type };
  }
}

/**
 * The report inside an output report as hidraw delivers it. A hidraw write starts with the report
 * ID (0 for a descriptor without IDs, like ours) and the kernel passes that byte through to UHID,
 * so a well-behaved client's 64-byte report arrives as 65 bytes: ID ‖ report. A client that
 * skipped the ID byte sends exactly `reportSize` bytes, taken as they are. Short writes are
 * ID ‖ the start of a report, zero-padded. Anything longer than ID ‖ report is cut.
 */
export function reportFromOutput(data: Uint8Array, reportSize = HID_REPORT_SIZE): Uint8Array | undefined {
  if (data.length === 0) return undefined;
  if (data.length === reportSize) return data.slice();
  const report = new Uint8Array(reportSize);
  report.set(data.subarray(1, 1 + reportSize));
  return report;
}

/** An opened UHID device file, or anything standing in for one. */
export interface UhidFile {
  /** The next event from the kernel (one read(2) of /dev/uhid returns exactly one); `null` at end. */
  read(): Promise<Uint8Array | null>;
  /** Writes one whole event. */
  write(event: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Why /dev/uhid could not be opened, in words the CLI can print as they are. */
export class UhidOpenError extends Error {
  override name = 'UhidOpenError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns an open(2) failure on `path` into an actionable message. */
export function describeOpenError(path: string, error: unknown): UhidOpenError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  let message: string;
  switch (code) {
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      message =
        `${path} does not exist: the uhid kernel module is not loaded. Load it with "sudo modprobe uhid" ` +
        `(and add "uhid" to /etc/modules-load.d/uhid.conf to load it at boot).`;
      break;
    case 'EACCES':
    case 'EPERM':
      message =
        `no permission to open ${path} for reading and writing. Either run with access to it, or add a udev rule ` +
        `such as /etc/udev/rules.d/70-softkey-uhid.rules containing\n` +
        `  KERNEL=="uhid", GROUP="<group>", MODE="0660"\n` +
        `then add yourself to <group>, run "sudo udevadm control --reload-rules && sudo udevadm trigger", ` +
        `and log in again.`;
      break;
    default:
      message = `cannot open ${path}: ${(error as Error | undefined)?.message ?? String(error)}`;
  }
  return new UhidOpenError(message, code, path, { cause: error });
}

/** Opens a UHID device file (O_RDWR). Reads block in the thread pool, one event each. */
export function openUhidFile(path: string): Promise<UhidFile> {
  return new Promise((resolve, reject) => {
    fsOpen(path, 'r+', (error, fd) => {
      if (error) return reject(describeOpenError(path, error));
      let closed = false;
      resolve({
        read: () =>
          new Promise((res, rej) => {
            if (closed) return res(null);
            const buffer = Buffer.alloc(UHID_EVENT_SIZE);
            fsRead(fd, buffer, 0, UHID_EVENT_SIZE, null, (e, n) => {
              if (e) return closed ? res(null) : rej(e);
              res(n === 0 ? null : new Uint8Array(buffer.buffer, buffer.byteOffset, n));
            });
          }),
        write: (event) =>
          new Promise((res, rej) => {
            if (closed) return rej(new Error(`${path} is closed`));
            fsWrite(fd, event, 0, event.length, null, (e, n) => {
              if (e) return rej(e);
              if (n !== event.length) return rej(new Error(`short write to ${path}: ${n} of ${event.length} bytes`));
              res();
            });
          }),
        close: () =>
          new Promise((res) => {
            if (closed) return res();
            closed = true;
            fsClose(fd, () => res());
          }),
      });
    });
  });
}

/**
 * A byte stream of whole events standing in for the device file (a socket to a fake kernel, in
 * tests): reads are re-framed into UHID_EVENT_SIZE events, as /dev/uhid returns them.
 */
export function uhidFileFromStream(stream: Duplex): UhidFile {
  let buffered = new Uint8Array(0);
  let waiting: ((event: Uint8Array | null) => void) | undefined;
  let ended = false;
  const nextEvent = (): Uint8Array | undefined => {
    if (buffered.length < UHID_EVENT_SIZE) return undefined;
    const event = buffered.slice(0, UHID_EVENT_SIZE);
    buffered = buffered.slice(UHID_EVENT_SIZE);
    return event;
  };
  const wake = () => {
    if (!waiting) return;
    const event = nextEvent();
    if (!event && !ended) return;
    const w = waiting;
    waiting = undefined;
    w(event ?? null);
  };
  stream.on('data', (chunk: Buffer) => {
    const joined = new Uint8Array(buffered.length + chunk.length);
    joined.set(buffered);
    joined.set(chunk, buffered.length);
    buffered = joined;
    wake();
  });
  const end = () => {
    ended = true;
    wake();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return {
    read: () =>
      new Promise((resolve) => {
        const event = nextEvent();
        if (event) resolve(event);
        else if (ended) resolve(null);
        else waiting = resolve;
      }),
    write: (event) =>
      new Promise((resolve, reject) => {
        if (ended || stream.destroyed) return reject(new Error('uhid stream is closed'));
        stream.write(event, (e) => (e ? reject(e) : resolve()));
      }),
    close: () =>
      new Promise((resolve) => {
        if (stream.destroyed) return resolve();
        stream.once('close', () => resolve());
        stream.destroy();
      }),
  };
}

export type UhidStatus = 'started' | 'stopped' | 'opened' | 'closed';

export const DEFAULT_UHID_PATH = '/dev/uhid';
export const DEFAULT_UHID_NAME = 'softkey FIDO2';

export interface UhidTransportOptions {
  /** The device file; default /dev/uhid. */
  path?: string;
  /** An already opened device file (or a stand-in); `path` is then only used in messages. */
  file?: UhidFile;
  /** HID name shown by the OS; default "softkey FIDO2". */
  name?: string;
  /** Physical path string; default "softkey". */
  phys?: string;
  /** Unique id (the serial number clients see); default "". */
  uniq?: string;
  vendor: number;
  product: number;
  /** The device version (bcdDevice); default 0x0100. */
  version?: number;
  /** Default: the FIDO descriptor (usage page 0xF1D0, 64-byte reports). */
  reportDescriptor?: Uint8Array;
  /** Size of input and output reports in the descriptor; default 64. */
  reportSize?: number;
  /** One report from the host, without report ID. */
  onReport: (report: Uint8Array) => void;
  /** The kernel re-bound the HID driver (UHID_START after a UHID_STOP): a re-plug. */
  onPowerCycle?: () => void;
  /** START/STOP/OPEN/CLOSE from the kernel (e.g. to print that a client opened the device). */
  onStatus?: (status: UhidStatus) => void;
  /** Write errors, read errors and exceptions from the callbacks; default console.error. */
  onError?: (error: unknown) => void;
}

export interface UhidTransport {
  /** Sends one report to the host (UHID_INPUT2). */
  send(report: Uint8Array): void;
  /** Destroys the HID device (UHID_DESTROY) and closes the device file. */
  close(): Promise<void>;
  readonly path: string;
}

/** How long close() waits for the kernel's answer to UHID_DESTROY before closing the file anyway. */
const CLOSE_GRACE_MS = 1000;

/**
 * Opens /dev/uhid (or uses `file`), creates the HID device with UHID_CREATE2 and serves it until
 * close(). Rejects with UhidOpenError when the device file cannot be opened.
 */
export async function startUhidTransport(options: UhidTransportOptions): Promise<UhidTransport> {
  const path = options.path ?? DEFAULT_UHID_PATH;
  const reportSize = options.reportSize ?? HID_REPORT_SIZE;
  const onError = options.onError ?? ((error: unknown) => console.error('[uhid]', error));
  const file = options.file ?? (await openUhidFile(path));

  // Writes go one at a time and in order (concurrent fs writes may be reordered by the thread pool).
  let writes: Promise<void> = Promise.resolve();
  const write = (event: UhidEvent): Promise<void> => {
    const bytes = encodeUhidEvent(event);
    const result = writes.then(() => file.write(bytes));
    writes = result.catch(() => undefined);
    return result;
  };

  try {
    await write({
      type: UhidEventType.UHID_CREATE2,
      name: options.name ?? DEFAULT_UHID_NAME,
      phys: options.phys ?? 'softkey',
      uniq: options.uniq ?? '',
      bus: BUS_USB,
      vendor: options.vendor,
      product: options.product,
      version: options.version ?? 0x0100,
      country: 0,
      reportDescriptor: options.reportDescriptor ?? FIDO_REPORT_DESCRIPTOR,
    });
  } catch (error) {
    await file.close();
    throw new UhidOpenError(
      `cannot create the HID device through ${path}: ${(error as Error).message}`,
      (error as NodeJS.ErrnoException).code,
      path,
      {
        cause: error,
      },
    );
  }

  let closing = false;
  let started = 0;
  const call = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      onError(error);
    }
  };
  const status = (s: UhidStatus) => options.onStatus && call(() => options.onStatus!(s));

  const handle = (event: UhidEvent) => {
    switch (event.type) {
      case UhidEventType.UHID_START:
        if (started++ > 0 && options.onPowerCycle) call(options.onPowerCycle);
        status('started');
        break;
      case UhidEventType.UHID_STOP:
        status('stopped');
        break;
      case UhidEventType.UHID_OPEN:
        status('opened');
        break;
      case UhidEventType.UHID_CLOSE:
        status('closed');
        break;
      case UhidEventType.UHID_OUTPUT: {
        if (event.rtype !== UhidReportType.UHID_OUTPUT_REPORT) break;
        const report = reportFromOutput(event.data, reportSize);
        if (report) call(() => options.onReport(report));
        break;
      }
      case UhidEventType.UHID_GET_REPORT:
        // No feature or pollable input reports: answer at once so the kernel does not wait for its timeout.
        write({ type: UhidEventType.UHID_GET_REPORT_REPLY, id: event.id, err: EIO, data: new Uint8Array(0) }).catch(
          onError,
        );
        break;
      case UhidEventType.UHID_SET_REPORT: {
        // An output report sent as SET_REPORT (HIDIOCSOUTPUT) is still a report; feature reports are refused.
        const isOutput = event.rtype === UhidReportType.UHID_OUTPUT_REPORT;
        write({ type: UhidEventType.UHID_SET_REPORT_REPLY, id: event.id, err: isOutput ? 0 : EIO }).catch(onError);
        const report = isOutput ? reportFromOutput(event.data, reportSize) : undefined;
        if (report) call(() => options.onReport(report));
        break;
      }
      default:
        break;
    }
  };

  const loop = (async () => {
    while (!closing) {
      let event: Uint8Array | null;
      try {
        event = await file.read();
      } catch (error) {
        if (!closing) onError(error);
        return;
      }
      if (!event || event.length === 0) return;
      if (event.length >= 4) handle(decodeUhidEvent(event));
    }
  })();

  let closed: Promise<void> | undefined;
  return {
    path,
    send(report) {
      if (!(report instanceof Uint8Array) || report.length !== reportSize) {
        throw new RangeError(`a UHID report must be ${reportSize} bytes`);
      }
      if (closing) return;
      write({ type: UhidEventType.UHID_INPUT2, data: report }).catch(onError);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        // DESTROY makes the kernel send CLOSE/STOP, which ends a read blocked in the thread pool.
        await write({ type: UhidEventType.UHID_DESTROY }).catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
        clearTimeout(timer);
        await file.close();
      })();
      return closed;
    },
  };
}

/** The FIDO HID device through /dev/uhid as a HID report port (hidPort.ts); a driver re-bind is onReplug. */
export async function uhidPort(
  options: Omit<UhidTransportOptions, 'onReport' | 'onPowerCycle'>,
): Promise<HidReportPort & { readonly path: string }> {
  const { events, receivers } = portEvents();
  const uhid = await startUhidTransport({ ...options, onReport: events.report, onPowerCycle: events.replug });
  return {
    path: uhid.path,
    description: `UHID FIDO device "${options.name ?? DEFAULT_UHID_NAME}" through ${uhid.path} (a /dev/hidraw node for every client on this machine)`,
    onReport: receivers.onReport,
    onReplug: receivers.onReplug,
    send: (report) => uhid.send(report),
    close: () => uhid.close(),
  };
}
