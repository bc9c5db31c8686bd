/**
 * A USB/IP client for tests, playing Linux's vhci-hcd: OP_REQ_DEVLIST, OP_REQ_IMPORT, control
 * URBs on endpoint 0 and interrupt URBs. Written from Documentation/usb/usbip_protocol.rst with its
 * own offsets (nothing from src/transport/usbip.ts), so the server is checked against the text.
 */
import { connect, type Socket } from 'node:net';
import type { HidReportPipe } from '../../src/ctaphid/hostDevice.js';

export const DOC = {
  VERSION: 0x0111,
  OP_REQ_DEVLIST: 0x8005,
  OP_REP_DEVLIST: 0x0005,
  OP_REQ_IMPORT: 0x8003,
  OP_REP_IMPORT: 0x0003,
  CMD_SUBMIT: 1,
  CMD_UNLINK: 2,
  RET_SUBMIT: 3,
  RET_UNLINK: 4,
  DIR_OUT: 0,
  DIR_IN: 1,
  /** Size of one device in OP_REP_DEVLIST / OP_REP_IMPORT (path 256 + busid 32 + 24). */
  DEVICE_SIZE: 0x138,
  HEADER_SIZE: 0x30,
  ECONNRESET: 104,
  EPIPE: 32,
} as const;

/** Offsets inside one usb device record (OP_REP_DEVLIST offsets minus 0x0C, OP_REP_IMPORT minus 0x08). */
const DEV = {
  PATH: 0x000,
  BUSID: 0x100,
  BUSNUM: 0x120,
  DEVNUM: 0x124,
  SPEED: 0x128,
  ID_VENDOR: 0x12c,
  ID_PRODUCT: 0x12e,
  BCD_DEVICE: 0x130,
  CLASS: 0x132,
  SUBCLASS: 0x133,
  PROTOCOL: 0x134,
  CONFIG_VALUE: 0x135,
  NUM_CONFIGS: 0x136,
  NUM_INTERFACES: 0x137,
};

export interface DocDevice {
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
  bNumInterfaces: number;
  interfaces: { cls: number; subclass: number; protocol: number; padding: number }[];
}

const cstr = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

export function parseDevice(b: Uint8Array): DocDevice {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    path: cstr(b.subarray(DEV.PATH, DEV.PATH + 256)),
    busid: cstr(b.subarray(DEV.BUSID, DEV.BUSID + 32)),
    busnum: v.getUint32(DEV.BUSNUM),
    devnum: v.getUint32(DEV.DEVNUM),
    speed: v.getUint32(DEV.SPEED),
    idVendor: v.getUint16(DEV.ID_VENDOR),
    idProduct: v.getUint16(DEV.ID_PRODUCT),
    bcdDevice: v.getUint16(DEV.BCD_DEVICE),
    bDeviceClass: b[DEV.CLASS]!,
    bDeviceSubClass: b[DEV.SUBCLASS]!,
    bDeviceProtocol: b[DEV.PROTOCOL]!,
    bConfigurationValue: b[DEV.CONFIG_VALUE]!,
    bNumConfigurations: b[DEV.NUM_CONFIGS]!,
    bNumInterfaces: b[DEV.NUM_INTERFACES]!,
    interfaces: [],
  };
}

/** Reads a socket as a stream of exact-length reads. */
class Reader {
  private buffer = new Uint8Array(0);
  private ended = false;
  private wake: (() => void) | undefined;
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer);
      joined.set(chunk, this.buffer.length);
      this.buffer = joined;
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      this.wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }
  async read(n: number): Promise<Uint8Array> {
    while (this.buffer.length < n) {
      if (this.ended) throw new Error(`connection ended with ${this.buffer.length} of ${n} bytes`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }
  /** Resolves once the peer closed; returns what was left unread. */
  async rest(): Promise<Uint8Array> {
    while (!this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.buffer;
  }
}

function open(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function opRequest(code: number, body = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, DOC.VERSION);
  v.setUint16(2, code);
  v.setUint32(4, 0);
  out.set(body, 8);
  return out;
}

/** OP_REQ_DEVLIST → the raw reply and the devices in it. */
export async function devlist(
  port: number,
): Promise<{ raw: Uint8Array; version: number; code: number; status: number; devices: DocDevice[] }> {
  const socket = await open(port);
  const reader = new Reader(socket);
  socket.write(opRequest(DOC.OP_REQ_DEVLIST));
  const raw = await reader.rest();
  socket.destroy();
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = v.getUint32(8);
  const devices: DocDevice[] = [];
  let o = 0x0c;
  for (let i = 0; i < n; i++) {
    const d = parseDevice(raw.subarray(o, o + DOC.DEVICE_SIZE));
    o += DOC.DEVICE_SIZE;
    for (let k = 0; k < d.bNumInterfaces; k++, o += 4) {
      d.interfaces.push({ cls: raw[o]!, subclass: raw[o + 1]!, protocol: raw[o + 2]!, padding: raw[o + 3]! });
    }
    devices.push(d);
  }
  if (o !== raw.length) throw new Error(`devlist reply has ${raw.length - o} trailing bytes`);
  return { raw, version: v.getUint16(0), code: v.getUint16(2), status: v.getUint32(4), devices };
}

export interface UrbResult {
  seqnum: number;
  status: number;
  actualLength: number;
  numberOfPackets: number;
  data: Uint8Array;
}

export interface SetupFields {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** An imported device: URBs in, completions out, matched by seqnum. */
export class ImportedDevice {
  private seqnum = 0;
  private readonly pending = new Map<number, { direction: number; resolve: (r: UrbResult) => void }>();
  /** Direction of every URB submitted (kept after an unlink, to read a stray completion whole). */
  private readonly directions = new Map<number, number>();
  private readonly unlinks = new Map<number, (status: number) => void>();
  /** RET_SUBMITs for seqnums nobody waits for (e.g. unlinked ones): must stay empty. */
  readonly unexpected: UrbResult[] = [];
  readonly done: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly reader: Reader,
    readonly devid: number,
  ) {
    this.done = this.loop().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    for (;;) {
      const h = await this.reader.read(DOC.HEADER_SIZE);
      const v = new DataView(h.buffer);
      const command = v.getUint32(0);
      const seqnum = v.getUint32(4);
      const status = v.getInt32(0x14);
      if (command === DOC.RET_UNLINK) {
        this.unlinks.get(seqnum)?.(status);
        this.unlinks.delete(seqnum);
        continue;
      }
      if (command !== DOC.RET_SUBMIT) throw new Error(`unexpected command ${command}`);
      const actualLength = v.getUint32(0x18);
      const p = this.pending.get(seqnum);
      const data =
        this.directions.get(seqnum) === DOC.DIR_IN ? await this.reader.read(actualLength) : new Uint8Array(0);
      const result = { seqnum, status, actualLength, numberOfPackets: v.getUint32(0x20), data };
      if (!p) this.unexpected.push(result);
      else {
        this.pending.delete(seqnum);
        p.resolve(result);
      }
    }
  }

  /** USBIP_CMD_SUBMIT; resolves with the RET_SUBMIT. `seqnum` is known at once. */
  submit(opts: { ep: number; direction: number; length: number; data?: Uint8Array; setup?: Uint8Array }): {
    seqnum: number;
    result: Promise<UrbResult>;
  } {
    const seqnum = ++this.seqnum;
    const h = new Uint8Array(DOC.HEADER_SIZE + (opts.direction === DOC.DIR_OUT ? opts.length : 0));
    const v = new DataView(h.buffer);
    v.setUint32(0, DOC.CMD_SUBMIT);
    v.setUint32(4, seqnum);
    v.setUint32(8, this.devid);
    v.setUint32(0x0c, opts.direction);
    v.setUint32(0x10, opts.ep);
    v.setUint32(0x14, opts.direction === DOC.DIR_IN ? 0x200 : 0); // URB_DIR_IN
    v.setUint32(0x18, opts.length);
    v.setUint32(0x1c, 0);
    v.setUint32(0x20, 0xffffffff); // not ISO
    v.setUint32(0x24, opts.ep === 0 ? 0 : 5);
    if (opts.setup) h.set(opts.setup, 0x28);
    if (opts.data) h.set(opts.data, DOC.HEADER_SIZE);
    const result = new Promise<UrbResult>((resolve) =>
      this.pending.set(seqnum, { direction: opts.direction, resolve }),
    );
    this.directions.set(seqnum, opts.direction);
    this.socket.write(h);
    return { seqnum, result };
  }

  /** A control transfer on endpoint 0 (setup fields little-endian, as on USB). */
  control(s: SetupFields, data?: Uint8Array): Promise<UrbResult> {
    const setup = Uint8Array.of(
      s.bmRequestType,
      s.bRequest,
      s.wValue & 0xff,
      s.wValue >> 8,
      s.wIndex & 0xff,
      s.wIndex >> 8,
      s.wLength & 0xff,
      s.wLength >> 8,
    );
    const direction = s.bmRequestType & 0x80 ? DOC.DIR_IN : DOC.DIR_OUT;
    return this.submit({
      ep: 0,
      direction,
      length: direction === DOC.DIR_IN ? s.wLength : (data?.length ?? 0),
      setup,
      ...(data && { data }),
    }).result;
  }

  getDescriptor(
    type: number,
    index: number,
    length: number,
    recipient: 'device' | 'interface' = 'device',
  ): Promise<UrbResult> {
    return this.control({
      bmRequestType: recipient === 'device' ? 0x80 : 0x81,
      bRequest: 6,
      wValue: (type << 8) | index,
      wIndex: recipient === 'device' && type === 3 ? 0x0409 : 0,
      wLength: length,
    });
  }

  /** USBIP_CMD_UNLINK; resolves with the RET_UNLINK status. */
  unlink(target: number): Promise<number> {
    const seqnum = ++this.seqnum;
    const h = new Uint8Array(DOC.HEADER_SIZE);
    const v = new DataView(h.buffer);
    v.setUint32(0, DOC.CMD_UNLINK);
    v.setUint32(4, seqnum);
    v.setUint32(8, this.devid);
    v.setUint32(0x14, target);
    const result = new Promise<number>((resolve) => this.unlinks.set(seqnum, resolve));
    this.pending.delete(target);
    this.socket.write(h);
    return result;
  }

  /** A report pipe as Linux's usbhid drives it: one interrupt IN URB always queued, OUT reports on 0x01. */
  reportPipe(): HidReportPipe & { stop(): void } {
    const listeners = new Set<(r: Uint8Array) => void>();
    let stopped = false;
    const poll = () => {
      if (stopped) return;
      void this.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 }).result.then((r) => {
        if (r.status === 0) for (const l of listeners) l(r.data);
        poll();
      });
    };
    poll();
    return {
      send: (report) => void this.submit({ ep: 1, direction: DOC.DIR_OUT, length: report.length, data: report }).result,
      onReport: (cb) => listeners.add(cb),
      stop: () => (stopped = true),
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

/** OP_REQ_IMPORT of `busid`: the reply's status and device, and (on success) the imported device. */
export async function importDevice(
  port: number,
  busid: string,
): Promise<{
  version: number;
  code: number;
  status: number;
  device?: DocDevice;
  imported?: ImportedDevice;
  replyLength: number;
}> {
  const socket = await open(port);
  socket.setNoDelay(true);
  const reader = new Reader(socket);
  const body = new Uint8Array(32);
  body.set(new TextEncoder().encode(busid));
  socket.write(opRequest(DOC.OP_REQ_IMPORT, body));
  const head = await reader.read(8);
  const v = new DataView(head.buffer);
  const status = v.getUint32(4);
  if (status !== 0) {
    const rest = await reader.rest();
    socket.destroy();
    return { version: v.getUint16(0), code: v.getUint16(2), status, replyLength: 8 + rest.length };
  }
  const device = parseDevice(await reader.read(DOC.DEVICE_SIZE));
  const imported = new ImportedDevice(socket, reader, ((device.busnum << 16) | device.devnum) >>> 0);
  return { version: v.getUint16(0), code: v.getUint16(2), status, device, imported, replyLength: 8 + DOC.DEVICE_SIZE };
}
