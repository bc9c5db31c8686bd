/**
 * A USB/IP server (Linux Documentation/usb/usbip_protocol.rst, version 0x0111) exporting software
 * HID devices: `usbip attach -r HOST -b BUSID` (Linux vhci-hcd, or usbip-win on Windows) then
 * plugs them into the host's USB stack, where every client sees an ordinary USB HID device.
 *
 *   OP_REQ_DEVLIST (0x8005) → OP_REP_DEVLIST (0x0005): the exported devices; the connection closes.
 *   OP_REQ_IMPORT  (0x8003) → OP_REP_IMPORT  (0x0003): the connection now carries URBs:
 *   USBIP_CMD_SUBMIT (1) → USBIP_RET_SUBMIT (3), USBIP_CMD_UNLINK (2) → USBIP_RET_UNLINK (4).
 *
 * Every field of the USB/IP headers is big-endian; the USB setup packet and descriptors inside
 * them are little-endian as on the wire. Each device is one configuration with one HID interface
 * (class 3) and interrupt endpoints IN 0x81 / OUT 0x01 of 64 bytes (usbDescriptors.ts). Control
 * transfers on endpoint 0 are answered here; OUT interrupt URBs become `onReport`; IN interrupt
 * URBs wait in a queue until the device has a report (reports sent while no IN URB is waiting are
 * kept until one arrives, as a device's endpoint buffer would). An unlinked IN URB is answered with
 * RET_UNLINK(-ECONNRESET) and never with RET_SUBMIT.
 *
 * Bytes in and out only: what the reports mean is the caller's business.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { hostPort, portEvents, type HidReportPort } from './hidPort.js';
import {
  buildConfigurationDescriptor,
  buildDeviceDescriptor,
  buildHidDescriptor,
  buildStringDescriptor,
  CONFIGURATION_VALUE,
  DEFAULT_MANUFACTURER,
  DEFAULT_SERIAL,
  DescriptorType,
  fixedString,
  HID_REPORT_SIZE,
  INTERRUPT_IN_ENDPOINT,
  INTERRUPT_OUT_ENDPOINT,
  StringIndex,
  USB_CLASS_HID,
  USB_CLASS_PER_INTERFACE,
} from './usbDescriptors.js';

export const USBIP_VERSION = 0x0111;
export const DEFAULT_USBIP_HOST = '127.0.0.1';
export const DEFAULT_USBIP_PORT = 3240;

export const UsbipOp = {
  OP_REQ_DEVLIST: 0x8005,
  OP_REP_DEVLIST: 0x0005,
  OP_REQ_IMPORT: 0x8003,
  OP_REP_IMPORT: 0x0003,
} as const;

export const UsbipCommand = {
  USBIP_CMD_SUBMIT: 1,
  USBIP_CMD_UNLINK: 2,
  USBIP_RET_SUBMIT: 3,
  USBIP_RET_UNLINK: 4,
} as const;

export const USBIP_DIR_OUT = 0;
export const USBIP_DIR_IN = 1;

/** Operation status codes (tools/usb/usbip/src/usbip_network.h). */
export const UsbipStatus = { ST_OK: 0, ST_NA: 1, ST_DEV_BUSY: 2, ST_DEV_ERR: 3, ST_NODEV: 4, ST_ERROR: 5 } as const;

/** enum usb_device_speed. */
export const USB_SPEED_FULL = 2;

/** Linux errno values carried (negated) in URB statuses. */
export const Errno = { EPIPE: 32, ECONNRESET: 104 } as const;

export const OP_COMMON_SIZE = 8;
export const OP_REQ_IMPORT_SIZE = OP_COMMON_SIZE + 32;
/** struct usbip_usb_device: path[256] busid[32] busnum devnum speed (u32) ids (u16×3) class bytes (×6). */
export const USBIP_USB_DEVICE_SIZE = 0x138;
export const USBIP_USB_INTERFACE_SIZE = 4;
export const USBIP_HEADER_SIZE = 48;
const NOT_ISO = 0xffffffff;
const ISO_PACKET_DESCRIPTOR_SIZE = 16;
/** Larger transfers are not ours to take: the connection is dropped. */
const MAX_TRANSFER = 64 * 1024;
/** Reports kept for an IN endpoint nobody polls (the oldest is dropped beyond this). */
const MAX_QUEUED_REPORTS = 4096;

/** What one exported device is. */
export interface UsbipDeviceOptions {
  /** Bus id clients attach with, e.g. "1-1" (at most 31 bytes). */
  busid: string;
  vendor: number;
  product: number;
  /** bcdDevice; default 0x0100. */
  bcdDevice?: number;
  /** String descriptors; default "softkey", "softkey HID", "000000000001". */
  manufacturer?: string;
  productName?: string;
  serial?: string;
  /** The HID report descriptor of the interface. */
  reportDescriptor: Uint8Array;
  /** Input/output report size; default 64 (also the endpoints' max packet size). */
  reportSize?: number;
  /** One report from the host (an interrupt OUT transfer or SET_REPORT(output)). */
  onReport: (report: Uint8Array) => void;
  /** A client imported the device (plugged it in). */
  onAttach?: () => void;
  /** The importing connection closed (unplugged). */
  onDetach?: () => void;
}

export interface UsbipServerOptions {
  /** Default 127.0.0.1 (USB/IP has no authentication: listen elsewhere only on a trusted network). */
  host?: string;
  /** Default 3240; 0 picks a free port. */
  port?: number;
  devices: UsbipDeviceOptions[];
  /** Socket errors, malformed input and exceptions from the callbacks; default console.error. */
  onError?: (error: unknown) => void;
}

export interface UsbipServer {
  readonly address: { host: string; port: number };
  /** Queues one report on the device's interrupt IN endpoint. Dropped while no client has it imported. */
  sendReport(busid: string, report: Uint8Array): void;
  /** True while a client has the device imported. */
  isAttached(busid: string): boolean;
  close(): Promise<void>;
}

// ───────────────────────────── codec ─────────────────────────────

/** The fields of struct usbip_usb_device we fill in. */
export interface UsbipDeviceInfo {
  path: string;
  busid: string;
  busnum: number;
  devnum: number;
  speed: number;
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  bDeviceClass: number;
  bDeviceSubClass: number;
  bDeviceProtocol: number;
  bConfigurationValue: number;
  bNumConfigurations: number;
  interfaces: { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[];
}

export function encodeOpCommon(code: number, status = 0, version = USBIP_VERSION): Uint8Array {
  const out = new Uint8Array(OP_COMMON_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, version);
  v.setUint16(2, code);
  v.setUint32(4, status);
  return out;
}

/** struct usbip_usb_device (0x138 bytes), without the interface list. */
export function encodeUsbDevice(d: UsbipDeviceInfo): Uint8Array {
  const out = new Uint8Array(USBIP_USB_DEVICE_SIZE);
  const v = new DataView(out.buffer);
  out.set(fixedString(d.path, 256), 0);
  out.set(fixedString(d.busid, 32), 0x100);
  v.setUint32(0x120, d.busnum);
  v.setUint32(0x124, d.devnum);
  v.setUint32(0x128, d.speed);
  v.setUint16(0x12c, d.idVendor);
  v.setUint16(0x12e, d.idProduct);
  v.setUint16(0x130, d.bcdDevice);
  out[0x132] = d.bDeviceClass;
  out[0x133] = d.bDeviceSubClass;
  out[0x134] = d.bDeviceProtocol;
  out[0x135] = d.bConfigurationValue;
  out[0x136] = d.bNumConfigurations;
  out[0x137] = d.interfaces.length;
  return out;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** OP_REP_DEVLIST: common header, device count, then each device followed by its interfaces. */
export function encodeDevlistReply(devices: UsbipDeviceInfo[]): Uint8Array {
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, devices.length);
  const parts = [encodeOpCommon(UsbipOp.OP_REP_DEVLIST), count];
  for (const d of devices) {
    parts.push(encodeUsbDevice(d));
    for (const i of d.interfaces)
      parts.push(Uint8Array.of(i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol, 0));
  }
  return concatAll(parts);
}

/** OP_REP_IMPORT: the device (without interfaces) when status is ST_OK, else the header alone. */
export function encodeImportReply(status: number, device?: UsbipDeviceInfo): Uint8Array {
  const header = encodeOpCommon(UsbipOp.OP_REP_IMPORT, status);
  return status === UsbipStatus.ST_OK && device ? concatAll([header, encodeUsbDevice(device)]) : header;
}

/** The 48-byte URB header (usbip_header_basic + the command-specific part), decoded. */
export interface UsbipHeader {
  command: number;
  seqnum: number;
  devid: number;
  direction: number;
  ep: number;
  /** CMD_SUBMIT: transfer_flags; RET_SUBMIT/RET_UNLINK: status (signed); CMD_UNLINK: unlink_seqnum. */
  word0: number;
  /** CMD_SUBMIT: transfer_buffer_length; RET_SUBMIT: actual_length. */
  length: number;
  startFrame: number;
  numberOfPackets: number;
  /** CMD_SUBMIT: interval; RET_SUBMIT: error_count. */
  word4: number;
  setup: Uint8Array;
}

export function decodeUsbipHeader(b: Uint8Array): UsbipHeader {
  if (b.length < USBIP_HEADER_SIZE) throw new RangeError('a USB/IP header is 48 bytes');
  const v = new DataView(b.buffer, b.byteOffset, USBIP_HEADER_SIZE);
  const command = v.getUint32(0);
  const signedWord0 = command === UsbipCommand.USBIP_RET_SUBMIT || command === UsbipCommand.USBIP_RET_UNLINK;
  return {
    command,
    seqnum: v.getUint32(4),
    devid: v.getUint32(8),
    direction: v.getUint32(12),
    ep: v.getUint32(16),
    word0: signedWord0 ? v.getInt32(20) : v.getUint32(20),
    length: v.getUint32(24),
    startFrame: v.getUint32(28),
    numberOfPackets: v.getUint32(32),
    word4: v.getUint32(36),
    setup: b.slice(40, 48),
  };
}

export function encodeUsbipHeader(h: Partial<UsbipHeader> & { command: number; seqnum: number }): Uint8Array {
  const out = new Uint8Array(USBIP_HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.command);
  v.setUint32(4, h.seqnum);
  v.setUint32(8, h.devid ?? 0);
  v.setUint32(12, h.direction ?? 0);
  v.setUint32(16, h.ep ?? 0);
  v.setUint32(20, (h.word0 ?? 0) >>> 0);
  v.setUint32(24, h.length ?? 0);
  v.setUint32(28, h.startFrame ?? 0);
  v.setUint32(32, h.numberOfPackets ?? 0);
  v.setUint32(36, h.word4 ?? 0);
  if (h.setup) out.set(h.setup.subarray(0, 8), 40);
  return out;
}

/**
 * USBIP_RET_SUBMIT for `seqnum`: status (0 or −errno) and, for IN transfers, the data.
 * number_of_packets echoes the CMD_SUBMIT's, as Linux's usbip-host does: Linux's vhci sends 0 for
 * non-ISO transfers, the protocol text and usbip-win send 0xffffffff; both read either back.
 */
export function encodeRetSubmit(
  seqnum: number,
  status: number,
  actualLength: number,
  data?: Uint8Array,
  numberOfPackets = 0,
): Uint8Array {
  const header = encodeUsbipHeader({
    command: UsbipCommand.USBIP_RET_SUBMIT,
    seqnum,
    word0: status,
    length: actualLength,
    numberOfPackets,
  });
  return data && data.length > 0 ? concatAll([header, data]) : header;
}

/** USBIP_RET_UNLINK for the CMD_UNLINK `seqnum`: −ECONNRESET when the URB was unlinked, 0 when it had completed. */
export function encodeRetUnlink(seqnum: number, status: number): Uint8Array {
  return encodeUsbipHeader({ command: UsbipCommand.USBIP_RET_UNLINK, seqnum, word0: status });
}

/** A USB control request's setup packet (USB 2.0 §9.3, little-endian). */
export interface SetupPacket {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

export function decodeSetup(s: Uint8Array): SetupPacket {
  return {
    bmRequestType: s[0]!,
    bRequest: s[1]!,
    wValue: s[2]! | (s[3]! << 8),
    wIndex: s[4]! | (s[5]! << 8),
    wLength: s[6]! | (s[7]! << 8),
  };
}

export function encodeSetup(p: SetupPacket): Uint8Array {
  return Uint8Array.of(
    p.bmRequestType,
    p.bRequest,
    p.wValue & 0xff,
    p.wValue >>> 8,
    p.wIndex & 0xff,
    p.wIndex >>> 8,
    p.wLength & 0xff,
    p.wLength >>> 8,
  );
}

/** Standard and HID class requests (USB 2.0 table 9-4, HID 1.11 §7.2). */
export const UsbRequest = {
  GET_STATUS: 0x00,
  CLEAR_FEATURE: 0x01,
  SET_FEATURE: 0x03,
  SET_ADDRESS: 0x05,
  GET_DESCRIPTOR: 0x06,
  SET_DESCRIPTOR: 0x07,
  GET_CONFIGURATION: 0x08,
  SET_CONFIGURATION: 0x09,
  GET_INTERFACE: 0x0a,
  SET_INTERFACE: 0x0b,
  HID_GET_REPORT: 0x01,
  HID_GET_IDLE: 0x02,
  HID_GET_PROTOCOL: 0x03,
  HID_SET_REPORT: 0x09,
  HID_SET_IDLE: 0x0a,
  HID_SET_PROTOCOL: 0x0b,
} as const;

// ───────────────────────────── device ─────────────────────────────

interface ExportedDevice {
  readonly options: UsbipDeviceOptions;
  readonly info: UsbipDeviceInfo;
  readonly reportSize: number;
  readonly deviceDescriptor: Uint8Array;
  readonly configurationDescriptor: Uint8Array;
  readonly hidDescriptor: Uint8Array;
  readonly strings: ReadonlyMap<number, Uint8Array>;
  /** The connection that imported it. */
  owner: Connection | undefined;
  configuration: number;
}

type ControlResult = { status: number; data?: Uint8Array; received?: number };

const STALL: ControlResult = { status: -Errno.EPIPE };

function exportDevice(options: UsbipDeviceOptions, index: number): ExportedDevice {
  if (!/^[\x21-\x7e]{1,31}$/.test(options.busid))
    throw new RangeError(`busid "${options.busid}" must be 1 to 31 printable ASCII characters`);
  const reportSize = options.reportSize ?? HID_REPORT_SIZE;
  if (reportSize !== HID_REPORT_SIZE) throw new RangeError(`only ${HID_REPORT_SIZE}-byte reports are supported`);
  const busnum = Number(/^(\d+)-/.exec(options.busid)?.[1] ?? 1);
  const identity = {
    vendor: options.vendor,
    product: options.product,
    bcdDevice: options.bcdDevice ?? 0x0100,
  };
  const deviceDescriptor = buildDeviceDescriptor(identity);
  const strings = new Map<number, Uint8Array>([
    [0, buildStringDescriptor('LANGIDS')],
    [StringIndex.MANUFACTURER, buildStringDescriptor(options.manufacturer ?? DEFAULT_MANUFACTURER)],
    [StringIndex.PRODUCT, buildStringDescriptor(options.productName ?? 'softkey HID')],
    [StringIndex.SERIAL, buildStringDescriptor(options.serial ?? DEFAULT_SERIAL)],
  ]);
  return {
    options,
    reportSize,
    deviceDescriptor,
    configurationDescriptor: buildConfigurationDescriptor(options.reportDescriptor.length),
    hidDescriptor: buildHidDescriptor(options.reportDescriptor.length),
    strings,
    owner: undefined,
    configuration: 0,
    info: {
      path: `/sys/devices/platform/softkey/usb${busnum}/${options.busid}`,
      busid: options.busid,
      busnum,
      devnum: index + 2,
      speed: USB_SPEED_FULL,
      idVendor: options.vendor,
      idProduct: options.product,
      bcdDevice: identity.bcdDevice,
      bDeviceClass: USB_CLASS_PER_INTERFACE,
      bDeviceSubClass: 0,
      bDeviceProtocol: 0,
      bConfigurationValue: CONFIGURATION_VALUE,
      bNumConfigurations: 1,
      interfaces: [{ bInterfaceClass: USB_CLASS_HID, bInterfaceSubClass: 0, bInterfaceProtocol: 0 }],
    },
  };
}

/** Endpoint 0: the standard requests a host sends while enumerating, and the HID class requests. */
function control(device: ExportedDevice, setup: SetupPacket, outData: Uint8Array): ControlResult {
  const { bmRequestType: type, bRequest: req, wValue, wLength } = setup;
  const answer = (data: Uint8Array): ControlResult => ({ status: 0, data: data.subarray(0, wLength) });
  const ok: ControlResult = { status: 0, received: outData.length };
  const descriptorType = wValue >>> 8;
  const descriptorIndex = wValue & 0xff;
  switch (type) {
    case 0x80: // device-to-host, standard, device
      if (req === UsbRequest.GET_DESCRIPTOR) {
        if (descriptorType === DescriptorType.DEVICE) return answer(device.deviceDescriptor);
        if (descriptorType === DescriptorType.CONFIGURATION && descriptorIndex === 0)
          return answer(device.configurationDescriptor);
        if (descriptorType === DescriptorType.STRING) {
          const s = device.strings.get(descriptorIndex);
          return s ? answer(s) : STALL;
        }
        return STALL; // device qualifier (full-speed only), BOS, other-speed configuration
      }
      if (req === UsbRequest.GET_STATUS) return answer(Uint8Array.of(0, 0));
      if (req === UsbRequest.GET_CONFIGURATION) return answer(Uint8Array.of(device.configuration));
      return STALL;
    case 0x81: // device-to-host, standard, interface
      if (req === UsbRequest.GET_DESCRIPTOR && setup.wIndex === 0) {
        if (descriptorType === DescriptorType.HID_REPORT) return answer(device.options.reportDescriptor);
        if (descriptorType === DescriptorType.HID) return answer(device.hidDescriptor);
      }
      if (req === UsbRequest.GET_STATUS) return answer(Uint8Array.of(0, 0));
      if (req === UsbRequest.GET_INTERFACE) return answer(Uint8Array.of(0));
      return STALL;
    case 0x82: // device-to-host, standard, endpoint
      return req === UsbRequest.GET_STATUS ? answer(Uint8Array.of(0, 0)) : STALL;
    case 0x00: // host-to-device, standard, device
      if (req === UsbRequest.SET_CONFIGURATION) {
        if (wValue !== 0 && wValue !== CONFIGURATION_VALUE) return STALL;
        device.configuration = wValue;
        return ok;
      }
      if (req === UsbRequest.SET_ADDRESS || req === UsbRequest.CLEAR_FEATURE || req === UsbRequest.SET_FEATURE)
        return ok;
      return STALL;
    case 0x01: // host-to-device, standard, interface
      return req === UsbRequest.SET_INTERFACE && wValue === 0 ? ok : STALL;
    case 0x02: // host-to-device, standard, endpoint (CLEAR_FEATURE(ENDPOINT_HALT))
      return req === UsbRequest.CLEAR_FEATURE || req === UsbRequest.SET_FEATURE ? ok : STALL;
    case 0x21: // host-to-device, class, interface
      if (req === UsbRequest.HID_SET_IDLE || req === UsbRequest.HID_SET_PROTOCOL) return ok;
      if (req === UsbRequest.HID_SET_REPORT && descriptorType === 2 /* output */) {
        deliver(device, outData);
        return ok;
      }
      return STALL;
    case 0xa1: // device-to-host, class, interface
      if (req === UsbRequest.HID_GET_IDLE) return answer(Uint8Array.of(0));
      if (req === UsbRequest.HID_GET_PROTOCOL) return answer(Uint8Array.of(1)); // report protocol
      return STALL; // GET_REPORT: no feature reports, input comes on the interrupt endpoint
    default:
      return STALL;
  }
}

/** Hands an OUT report to the device: exactly reportSize bytes (a leading 0 report ID on a 65-byte write is dropped). */
function deliver(device: ExportedDevice, data: Uint8Array): void {
  const size = device.reportSize;
  let report: Uint8Array;
  if (data.length === size) report = data.slice();
  else if (data.length === size + 1 && data[0] === 0) report = data.slice(1);
  else {
    report = new Uint8Array(size);
    report.set(data.subarray(0, size));
  }
  device.options.onReport(report);
}

// ───────────────────────────── connections ─────────────────────────────

interface PendingIn {
  seqnum: number;
  length: number;
  numberOfPackets: number;
}

class Connection {
  private buffer = new Uint8Array(0);
  private device: ExportedDevice | undefined;
  private readonly pendingIn: PendingIn[] = [];
  private readonly outbox: Uint8Array[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly devices: Map<string, ExportedDevice>,
    private readonly onError: (error: unknown) => void,
  ) {}

  get imported(): ExportedDevice | undefined {
    return this.device;
  }

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    try {
      while (!this.socket.destroyed) {
        const used = this.device ? this.urb(this.buffer) : this.op(this.buffer);
        if (used === 0) break;
        this.buffer = this.buffer.slice(used);
      }
    } catch (error) {
      this.onError(error);
      this.socket.destroy();
    }
  }

  /** A device report for this connection's imported device. */
  sendReport(report: Uint8Array): void {
    const urb = this.pendingIn.shift();
    if (urb) {
      this.complete(urb, report);
      return;
    }
    if (this.outbox.length >= MAX_QUEUED_REPORTS) this.outbox.shift();
    this.outbox.push(report.slice());
  }

  detach(): void {
    const device = this.device;
    if (!device || device.owner !== this) return;
    device.owner = undefined;
    device.configuration = 0;
    this.device = undefined;
    this.pendingIn.length = 0;
    this.outbox.length = 0;
    if (device.options.onDetach) this.call(device.options.onDetach);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onError(error);
    }
  }

  private write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Operation phase: DEVLIST or IMPORT. Returns the bytes consumed (0: need more). */
  private op(b: Uint8Array): number {
    if (b.length < OP_COMMON_SIZE) return 0;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const code = v.getUint16(2);
    if (code === UsbipOp.OP_REQ_DEVLIST) {
      const list = [...this.devices.values()].map((d) => d.info);
      this.write(encodeDevlistReply(list));
      this.socket.end();
      return OP_COMMON_SIZE;
    }
    if (code === UsbipOp.OP_REQ_IMPORT) {
      if (b.length < OP_REQ_IMPORT_SIZE) return 0;
      const field = b.subarray(OP_COMMON_SIZE, OP_REQ_IMPORT_SIZE);
      const end = field.indexOf(0);
      const busid = new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
      const device = this.devices.get(busid);
      if (!device) {
        this.write(encodeImportReply(UsbipStatus.ST_NODEV));
        this.socket.end();
      } else if (device.owner) {
        this.write(encodeImportReply(UsbipStatus.ST_DEV_BUSY));
        this.socket.end();
      } else {
        device.owner = this;
        this.device = device;
        this.write(encodeImportReply(UsbipStatus.ST_OK, device.info));
        if (device.options.onAttach) this.call(device.options.onAttach);
      }
      return OP_REQ_IMPORT_SIZE;
    }
    throw new Error(`USB/IP: unknown operation 0x${code.toString(16).padStart(4, '0')}`);
  }

  /** URB phase. Returns the bytes consumed (0: need more). */
  private urb(b: Uint8Array): number {
    if (b.length < USBIP_HEADER_SIZE) return 0;
    const h = decodeUsbipHeader(b);
    if (h.command === UsbipCommand.USBIP_CMD_UNLINK) {
      const i = this.pendingIn.findIndex((p) => p.seqnum === h.word0);
      if (i >= 0) this.pendingIn.splice(i, 1);
      this.write(encodeRetUnlink(h.seqnum, i >= 0 ? -Errno.ECONNRESET : 0));
      return USBIP_HEADER_SIZE;
    }
    if (h.command !== UsbipCommand.USBIP_CMD_SUBMIT) throw new Error(`USB/IP: unexpected command ${h.command}`);
    if (h.length > MAX_TRANSFER) throw new Error(`USB/IP: transfer of ${h.length} bytes refused`);
    const iso = h.numberOfPackets !== NOT_ISO && h.numberOfPackets !== 0 ? h.numberOfPackets : 0;
    if (iso > 1024) throw new Error(`USB/IP: ${iso} ISO packets refused`);
    const dataLength = h.direction === USBIP_DIR_OUT ? h.length : 0;
    const total = USBIP_HEADER_SIZE + dataLength + iso * ISO_PACKET_DESCRIPTOR_SIZE;
    if (b.length < total) return 0;
    const data = b.slice(USBIP_HEADER_SIZE, USBIP_HEADER_SIZE + dataLength);
    this.submit(h, data, iso > 0);
    return total;
  }

  private submit(h: UsbipHeader, data: Uint8Array, iso: boolean): void {
    const device = this.device!;
    const np = h.numberOfPackets;
    if (iso) {
      this.write(encodeRetSubmit(h.seqnum, -Errno.EPIPE, 0, undefined, 0));
      return;
    }
    const ep = h.ep & 0x0f;
    if (ep === 0) {
      let result: ControlResult;
      try {
        result = control(device, decodeSetup(h.setup), data);
      } catch (error) {
        this.onError(error);
        result = STALL;
      }
      const payload =
        h.direction === USBIP_DIR_IN ? (result.data ?? new Uint8Array(0)).subarray(0, h.length) : undefined;
      this.write(
        encodeRetSubmit(
          h.seqnum,
          result.status,
          payload ? payload.length : result.status === 0 ? data.length : 0,
          payload,
          np,
        ),
      );
      return;
    }
    if (h.direction === USBIP_DIR_OUT && ep === (INTERRUPT_OUT_ENDPOINT & 0x0f)) {
      this.call(() => deliver(device, data));
      this.write(encodeRetSubmit(h.seqnum, 0, data.length, undefined, np));
      return;
    }
    if (h.direction === USBIP_DIR_IN && ep === (INTERRUPT_IN_ENDPOINT & 0x0f)) {
      const urb = { seqnum: h.seqnum, length: h.length, numberOfPackets: np };
      const queued = this.outbox.shift();
      if (queued) this.complete(urb, queued);
      else this.pendingIn.push(urb);
      return;
    }
    this.write(encodeRetSubmit(h.seqnum, -Errno.EPIPE, 0, undefined, np));
  }

  private complete(urb: PendingIn, report: Uint8Array): void {
    const data = report.subarray(0, urb.length);
    this.write(encodeRetSubmit(urb.seqnum, 0, data.length, data, urb.numberOfPackets));
  }
}

// ───────────────────────────── server ─────────────────────────────

/** Starts a USB/IP server exporting `devices`. */
export async function startUsbipServer(options: UsbipServerOptions): Promise<UsbipServer> {
  const onError = options.onError ?? ((error: unknown) => console.error('[usbip]', error));
  if (options.devices.length === 0) throw new RangeError('export at least one device');
  const devices = new Map<string, ExportedDevice>();
  options.devices.forEach((d, i) => {
    if (devices.has(d.busid)) throw new RangeError(`busid "${d.busid}" is exported twice`);
    devices.set(d.busid, exportDevice(d, i));
  });
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connection = new Connection(socket, devices, onError);
    socket.on('data', (chunk: Buffer) => connection.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') onError(error);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      connection.detach();
    });
  });

  const host = options.host ?? DEFAULT_USBIP_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_USBIP_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  const bound = server.address();
  const address =
    typeof bound === 'object' && bound
      ? { host: bound.address, port: bound.port }
      : { host, port: options.port ?? DEFAULT_USBIP_PORT };

  let closed: Promise<void> | undefined;
  return {
    address,
    sendReport(busid, report) {
      const device = devices.get(busid);
      if (!device) throw new RangeError(`no exported device "${busid}"`);
      if (!(report instanceof Uint8Array) || report.length !== device.reportSize) {
        throw new RangeError(`a report must be ${device.reportSize} bytes`);
      }
      device.owner?.sendReport(report);
    },
    isAttached: (busid) => devices.get(busid)?.owner !== undefined,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

export interface UsbipHidPortOptions extends Omit<UsbipServerOptions, 'devices'> {
  /** The HID device the port carries; attaching or detaching it is the port's onReplug. */
  device: Omit<UsbipDeviceOptions, 'onReport'>;
  /** More devices exported by the same server (they bring their own onReport). */
  extraDevices?: UsbipDeviceOptions[];
}

/** A USB/IP server exporting one HID device as a HID report port (hidPort.ts), and maybe more devices. */
export async function usbipHidPort(options: UsbipHidPortOptions): Promise<
  HidReportPort & {
    readonly address: { host: string; port: number };
    readonly busid: string;
    readonly server: UsbipServer;
  }
> {
  const { events, receivers } = portEvents();
  const { device, extraDevices, ...serverOptions } = options;
  const server = await startUsbipServer({
    ...serverOptions,
    devices: [
      {
        ...device,
        onReport: events.report,
        onAttach: () => {
          events.replug(); // a fresh plug: no channels carried over from a previous attachment
          device.onAttach?.();
        },
        onDetach: () => {
          events.replug();
          device.onDetach?.();
        },
      },
      ...(extraDevices ?? []),
    ],
  });
  const portFlag = server.address.port === DEFAULT_USBIP_PORT ? '' : ` --tcp-port ${server.address.port}`;
  return {
    address: server.address,
    busid: device.busid,
    server,
    description:
      `USB/IP on ${hostPort(server.address)}, busid ${device.busid} ` +
      `(attach: sudo modprobe vhci-hcd && sudo usbip${portFlag} attach -r ${server.address.host} -b ${device.busid})`,
    onReport: receivers.onReport,
    onReplug: receivers.onReplug,
    send: (report) => server.sendReport(device.busid, report),
    close: () => server.close(),
  };
}
