/**
 * Linux UHID transport: the struct uhid_event codec against the kernel header's layout, and the
 * transport driven by a test harness playing the kernel on a socket standing in for /dev/uhid.
 *
 * The layout below is written out from include/uapi/linux/uhid.h (all structs packed, native
 * endian, UHID_DATA_MAX = HID_MAX_DESCRIPTOR_SIZE = 4096), independently of src/transport/uhid.ts:
 *   struct uhid_event { __u32 type; union { ... } u; }              u at offset 4
 *   uhid_create2_req  name[128] phys[64] uniq[64] rd_size:u16 bus:u16 vendor:u32 product:u32
 *                     version:u32 country:u32 rd_data[4096]          = 4372 bytes (largest member)
 *   uhid_start_req    dev_flags:u64
 *   uhid_output_req   data[4096] size:u16 rtype:u8                   = 4099
 *   uhid_input2_req   size:u16 data[4096]                            = 4098
 *   uhid_get_report_req        id:u32 rnum:u8 rtype:u8
 *   uhid_get_report_reply_req  id:u32 err:u16 size:u16 data[4096]
 *   uhid_set_report_req        id:u32 rnum:u8 rtype:u8 size:u16 data[4096]
 *   uhid_set_report_reply_req  id:u32 err:u16
 * so sizeof(struct uhid_event) = 4 + 4372 = 4376.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { CtapHidHost, type HidReportPipe } from '../../src/ctaphid/hostDevice.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { sha256 } from '../../src/crypto/hash.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { toHex } from '../../src/encoding/bytes.js';
import { openDevice } from '../../src/main/device.js';
import { attachHid } from '../../src/main/hidFront.js';
import { SOFTKEY_BCD_DEVICE } from '../../src/main/hidTransports.js';
import {
  softkeyUhidDevice,
  SOFTKEY_USB_PRODUCT_ID,
  SOFTKEY_USB_VENDOR_ID,
} from '../../src/transport/softkeyUsbDevices.js';
import {
  decodeUhidEvent,
  describeOpenError,
  encodeUhidEvent,
  reportFromOutput,
  startUhidTransport,
  uhidPort,
  UHID_EVENT_SIZE,
  UhidEventType,
  UhidOpenError,
  uhidFileFromStream,
  type UhidStatus,
} from '../../src/transport/uhid.js';
import { FIDO_REPORT_DESCRIPTOR } from '../../src/transport/usbDescriptors.js';

// ── the kernel's layout, from the header (see the comment at the top) ──
const EVENT_SIZE = 4 + (128 + 64 + 64 + 2 + 2 + 4 * 4 + 4096);
const T = {
  DESTROY: 1,
  START: 2,
  STOP: 3,
  OPEN: 4,
  CLOSE: 5,
  OUTPUT: 6,
  GET_REPORT: 9,
  GET_REPORT_REPLY: 10,
  CREATE2: 11,
  INPUT2: 12,
  SET_REPORT: 13,
  SET_REPORT_REPLY: 14,
};
const CREATE2 = {
  NAME: 4,
  PHYS: 4 + 128,
  UNIQ: 4 + 192,
  RD_SIZE: 4 + 256,
  BUS: 4 + 258,
  VENDOR: 4 + 260,
  PRODUCT: 4 + 264,
  VERSION: 4 + 268,
  COUNTRY: 4 + 272,
  RD_DATA: 4 + 276,
};
const START_DEV_FLAGS = 4;
const OUTPUT = { DATA: 4, SIZE: 4 + 4096, RTYPE: 4 + 4098 };
const INPUT2 = { SIZE: 4, DATA: 6 };
const GET_REPORT = { ID: 4, RNUM: 8, RTYPE: 9 };
const GET_REPORT_REPLY = { ID: 4, ERR: 8, SIZE: 10, DATA: 12 };
const SET_REPORT = { ID: 4, RNUM: 8, RTYPE: 9, SIZE: 10, DATA: 12 };
const SET_REPORT_REPLY = { ID: 4, ERR: 8 };
const UHID_OUTPUT_REPORT = 1;
const UHID_FEATURE_REPORT = 0;
const LE = endianness() === 'LE';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const cstr = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

/** An event as the kernel writes it. */
function kernelEvent(type: number, fill?: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(EVENT_SIZE);
  view(b).setUint32(0, type, LE);
  fill?.(view(b), b);
  return b;
}
const outputEvent = (data: Uint8Array, rtype = UHID_OUTPUT_REPORT) =>
  kernelEvent(T.OUTPUT, (v, b) => {
    b.set(data, OUTPUT.DATA);
    v.setUint16(OUTPUT.SIZE, data.length, LE);
    b[OUTPUT.RTYPE] = rtype;
  });

/** Fails a test that hangs waiting for a message (not a timing assertion). */
const GUARD_MS = 30_000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The harness's side of /dev/uhid: reads our events (framed by the header's size), writes the kernel's. */
class FakeKernel {
  private buffer = new Uint8Array(0);
  private readonly queue: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  /** Listeners for the reports of INPUT2 events; every other event is queued for next(). */
  readonly inputReports = new Set<(report: Uint8Array) => void>();
  constructor(private readonly socket: Socket) {
    socket.on('error', () => {}); // the device side may close first
    socket.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer);
      joined.set(chunk, this.buffer.length);
      let offset = 0;
      for (; joined.length - offset >= EVENT_SIZE; offset += EVENT_SIZE)
        this.receive(joined.slice(offset, offset + EVENT_SIZE));
      this.buffer = joined.slice(offset);
    });
  }
  private receive(event: Uint8Array): void {
    const type = view(event).getUint32(0, LE);
    if (type === T.INPUT2) {
      const size = view(event).getUint16(INPUT2.SIZE, LE);
      const report = event.slice(INPUT2.DATA, INPUT2.DATA + size);
      for (const l of this.inputReports) l(report);
      return;
    }
    this.queue.push(event);
    this.waiter?.();
  }
  /** The next non-INPUT2 event we wrote. */
  async next(): Promise<{ type: number; bytes: Uint8Array }> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    const bytes = this.queue.shift()!;
    return { type: view(bytes).getUint32(0, LE), bytes };
  }
  write(event: Uint8Array): void {
    assert.equal(event.length, EVENT_SIZE);
    this.socket.write(event);
  }
  /** A HidReportPipe as a hidraw client sees the device: writes go out as ID 0 ‖ report. */
  pipe(withReportId = true): HidReportPipe {
    return {
      send: (report) => this.write(outputEvent(withReportId ? Uint8Array.of(0, ...report) : report)),
      onReport: (cb) => this.inputReports.add(cb),
    };
  }
}

/** A Unix socket pair: one end wrapped as the device file, the other end the fake kernel. */
async function fakeUhid() {
  const dir = mkdtempSync(join(tmpdir(), 'softkey-uhid-'));
  const path = join(dir, 'uhid.sock');
  let accepted: (s: Socket) => void = () => {};
  const kernelSide = new Promise<Socket>((resolve) => (accepted = resolve));
  const server = createServer((s) => accepted(s));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const deviceSide = connect(path);
  await new Promise<void>((resolve) => deviceSide.once('connect', () => resolve()));
  const kernelSocket = await kernelSide;
  cleanups.push(async () => {
    kernelSocket.destroy();
    deviceSide.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { file: uhidFileFromStream(deviceSide), kernel: new FakeKernel(kernelSocket), path };
}

/** A HID report descriptor parser just good enough to read back what a FIDO client looks for. */
function parseReportDescriptor(d: Uint8Array) {
  const out = {
    usagePage: -1,
    usage: -1,
    inputs: [] as { size: number; count: number }[],
    outputs: [] as { size: number; count: number }[],
  };
  let reportSize = 0;
  let reportCount = 0;
  for (let i = 0; i < d.length;) {
    const prefix = d[i]!;
    const size = [0, 1, 2, 4][prefix & 0x03]!;
    let value = 0;
    for (let k = 0; k < size; k++) value |= d[i + 1 + k]! << (8 * k);
    const tag = prefix & 0xfc;
    if (tag === 0x04) out.usagePage = value;
    else if (tag === 0x08 && out.usage < 0) out.usage = value;
    else if (tag === 0x74) reportSize = value;
    else if (tag === 0x94) reportCount = value;
    else if (tag === 0x80) out.inputs.push({ size: reportSize, count: reportCount });
    else if (tag === 0x90) out.outputs.push({ size: reportSize, count: reportCount });
    else if (tag === 0x84) throw new Error('report IDs are not expected');
    i += 1 + size;
  }
  return out;
}

describe('struct uhid_event codec (include/uapi/linux/uhid.h)', () => {
  it('is 4376 bytes, with the kernel event type numbers', () => {
    assert.equal(EVENT_SIZE, 4376);
    assert.equal(UHID_EVENT_SIZE, EVENT_SIZE);
    assert.deepEqual(
      {
        DESTROY: UhidEventType.UHID_DESTROY,
        START: UhidEventType.UHID_START,
        STOP: UhidEventType.UHID_STOP,
        OPEN: UhidEventType.UHID_OPEN,
        CLOSE: UhidEventType.UHID_CLOSE,
        OUTPUT: UhidEventType.UHID_OUTPUT,
        GET_REPORT: UhidEventType.UHID_GET_REPORT,
        GET_REPORT_REPLY: UhidEventType.UHID_GET_REPORT_REPLY,
        CREATE2: UhidEventType.UHID_CREATE2,
        INPUT2: UhidEventType.UHID_INPUT2,
        SET_REPORT: UhidEventType.UHID_SET_REPORT,
        SET_REPORT_REPLY: UhidEventType.UHID_SET_REPORT_REPLY,
      },
      T,
    );
  });

  it('encodes UHID_CREATE2 at the header offsets', () => {
    const rd = Uint8Array.from({ length: 34 }, (_, i) => i + 1);
    const b = encodeUhidEvent({
      type: UhidEventType.UHID_CREATE2,
      name: 'softkey FIDO2',
      phys: 'phys-x',
      uniq: 'serial-7',
      bus: 3,
      vendor: 0x1209,
      product: 0xbeef,
      version: 0x0102,
      country: 0x21,
      reportDescriptor: rd,
    });
    const v = view(b);
    assert.equal(b.length, EVENT_SIZE);
    assert.equal(v.getUint32(0, LE), 11);
    assert.equal(cstr(b.subarray(CREATE2.NAME, CREATE2.NAME + 128)), 'softkey FIDO2');
    assert.equal(cstr(b.subarray(CREATE2.PHYS, CREATE2.PHYS + 64)), 'phys-x');
    assert.equal(cstr(b.subarray(CREATE2.UNIQ, CREATE2.UNIQ + 64)), 'serial-7');
    assert.equal(v.getUint16(CREATE2.RD_SIZE, LE), 34);
    assert.equal(v.getUint16(CREATE2.BUS, LE), 3);
    assert.equal(v.getUint32(CREATE2.VENDOR, LE), 0x1209);
    assert.equal(v.getUint32(CREATE2.PRODUCT, LE), 0xbeef);
    assert.equal(v.getUint32(CREATE2.VERSION, LE), 0x0102);
    assert.equal(v.getUint32(CREATE2.COUNTRY, LE), 0x21);
    assert.deepEqual(b.slice(CREATE2.RD_DATA, CREATE2.RD_DATA + 34), rd);
    assert.equal(CREATE2.RD_DATA + 4096, EVENT_SIZE, 'rd_data ends the largest union member');
    // Names are NUL-terminated inside their field even when too long.
    const long = encodeUhidEvent({
      ...(decodeUhidEvent(b) as Extract<ReturnType<typeof decodeUhidEvent>, { type: 11 }>),
      name: 'n'.repeat(300),
    });
    assert.equal(long[CREATE2.NAME + 127], 0);
    assert.equal(cstr(long.subarray(CREATE2.NAME, CREATE2.NAME + 128)).length, 127);
    assert.throws(
      () =>
        encodeUhidEvent({
          ...(decodeUhidEvent(b) as Extract<ReturnType<typeof decodeUhidEvent>, { type: 11 }>),
          reportDescriptor: new Uint8Array(4097),
        }),
      RangeError,
    );
  });

  it('encodes UHID_INPUT2, UHID_GET_REPORT_REPLY, UHID_SET_REPORT_REPLY and UHID_DESTROY at the header offsets', () => {
    const report = Uint8Array.from({ length: 64 }, (_, i) => 0xa0 ^ i);
    const input = encodeUhidEvent({ type: UhidEventType.UHID_INPUT2, data: report });
    assert.equal(view(input).getUint32(0, LE), 12);
    assert.equal(view(input).getUint16(INPUT2.SIZE, LE), 64);
    assert.deepEqual(input.slice(INPUT2.DATA, INPUT2.DATA + 64), report);
    assert.ok(input.slice(INPUT2.DATA + 64).every((x) => x === 0));

    const gr = encodeUhidEvent({
      type: UhidEventType.UHID_GET_REPORT_REPLY,
      id: 0xdeadbeef,
      err: 5,
      data: Uint8Array.of(9, 8),
    });
    assert.equal(view(gr).getUint32(0, LE), 10);
    assert.equal(view(gr).getUint32(GET_REPORT_REPLY.ID, LE), 0xdeadbeef);
    assert.equal(view(gr).getUint16(GET_REPORT_REPLY.ERR, LE), 5);
    assert.equal(view(gr).getUint16(GET_REPORT_REPLY.SIZE, LE), 2);
    assert.deepEqual(gr.slice(GET_REPORT_REPLY.DATA, GET_REPORT_REPLY.DATA + 2), Uint8Array.of(9, 8));

    const sr = encodeUhidEvent({ type: UhidEventType.UHID_SET_REPORT_REPLY, id: 77, err: 0 });
    assert.equal(view(sr).getUint32(0, LE), 14);
    assert.equal(view(sr).getUint32(SET_REPORT_REPLY.ID, LE), 77);
    assert.equal(view(sr).getUint16(SET_REPORT_REPLY.ERR, LE), 0);

    const destroy = encodeUhidEvent({ type: UhidEventType.UHID_DESTROY });
    assert.equal(view(destroy).getUint32(0, LE), 1);
    assert.ok(destroy.slice(4).every((x) => x === 0));
  });

  it('decodes the kernel events START, OUTPUT, GET_REPORT and SET_REPORT from the header offsets', () => {
    const start = decodeUhidEvent(kernelEvent(T.START, (v) => v.setBigUint64(START_DEV_FLAGS, 0x5n, LE)));
    assert.deepEqual(start, { type: UhidEventType.UHID_START, devFlags: 5n });

    const data = Uint8Array.from({ length: 65 }, (_, i) => i);
    assert.deepEqual(decodeUhidEvent(outputEvent(data)), { type: UhidEventType.UHID_OUTPUT, data, rtype: 1 });

    const get = kernelEvent(T.GET_REPORT, (v, b) => {
      v.setUint32(GET_REPORT.ID, 0x01020304, LE);
      b[GET_REPORT.RNUM] = 7;
      b[GET_REPORT.RTYPE] = UHID_FEATURE_REPORT;
    });
    assert.deepEqual(decodeUhidEvent(get), { type: UhidEventType.UHID_GET_REPORT, id: 0x01020304, rnum: 7, rtype: 0 });

    const set = kernelEvent(T.SET_REPORT, (v, b) => {
      v.setUint32(SET_REPORT.ID, 42, LE);
      b[SET_REPORT.RNUM] = 0;
      b[SET_REPORT.RTYPE] = UHID_OUTPUT_REPORT;
      v.setUint16(SET_REPORT.SIZE, 3, LE);
      b.set([1, 2, 3], SET_REPORT.DATA);
    });
    assert.deepEqual(decodeUhidEvent(set), {
      type: UhidEventType.UHID_SET_REPORT,
      id: 42,
      rnum: 0,
      rtype: 1,
      data: Uint8Array.of(1, 2, 3),
    });

    for (const [type, code] of [
      [UhidEventType.UHID_STOP, 3],
      [UhidEventType.UHID_OPEN, 4],
      [UhidEventType.UHID_CLOSE, 5],
    ] as const) {
      assert.deepEqual(decodeUhidEvent(kernelEvent(code)), { type });
    }
    assert.deepEqual(decodeUhidEvent(kernelEvent(99)), { type: 'unknown', code: 99 });
    // A short event is zero-extended, as the kernel does.
    assert.deepEqual(decodeUhidEvent(kernelEvent(T.OPEN).subarray(0, 4)), { type: UhidEventType.UHID_OPEN });
  });

  it('round-trips every event type it encodes', () => {
    const events = [
      { type: UhidEventType.UHID_DESTROY },
      { type: UhidEventType.UHID_START, devFlags: 1n << 40n },
      { type: UhidEventType.UHID_OUTPUT, data: Uint8Array.of(0, 1, 2), rtype: 1 },
      { type: UhidEventType.UHID_INPUT2, data: new Uint8Array(4096).fill(7) },
      { type: UhidEventType.UHID_GET_REPORT, id: 3, rnum: 1, rtype: 2 },
      { type: UhidEventType.UHID_GET_REPORT_REPLY, id: 3, err: 0, data: Uint8Array.of(5) },
      { type: UhidEventType.UHID_SET_REPORT, id: 4, rnum: 0, rtype: 0, data: Uint8Array.of(6) },
      { type: UhidEventType.UHID_SET_REPORT_REPLY, id: 4, err: 5 },
    ] as const;
    for (const e of events) assert.deepEqual(decodeUhidEvent(encodeUhidEvent(e)), e);
  });
});

describe('FIDO HID report descriptor', () => {
  it('is usage page 0xF1D0, usage 0x01, one 64-byte input and one 64-byte output report, no report IDs', () => {
    assert.equal(
      toHex(FIDO_REPORT_DESCRIPTOR),
      '06d0f10901a10109201500 26ff0075089540810209211500 26ff00750895409102c0'.replace(/ /g, ''),
    );
    const d = parseReportDescriptor(FIDO_REPORT_DESCRIPTOR);
    assert.equal(d.usagePage, 0xf1d0);
    assert.equal(d.usage, 0x01);
    assert.deepEqual(d.inputs, [{ size: 8, count: 64 }]);
    assert.deepEqual(d.outputs, [{ size: 8, count: 64 }]);
  });
});

describe('output reports as hidraw delivers them', () => {
  const report = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
  it('drops the leading report ID of a 65-byte write', () => {
    assert.deepEqual(reportFromOutput(Uint8Array.of(0, ...report)), report);
  });
  it('takes a 64-byte write (a client that left out the ID) as the report', () => {
    assert.deepEqual(reportFromOutput(report), report);
  });
  it('zero-pads a short write after its report ID, and ignores an empty one', () => {
    const out = reportFromOutput(Uint8Array.of(0, 1, 2, 3))!;
    assert.equal(out.length, 64);
    assert.deepEqual(out.subarray(0, 4), Uint8Array.of(1, 2, 3, 0));
    assert.equal(reportFromOutput(new Uint8Array(0)), undefined);
  });
});

describe('opening /dev/uhid', () => {
  it('says to load the module when the device file is missing', { timeout: GUARD_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softkey-uhid-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, 'uhid');
    await assert.rejects(
      startUhidTransport({ path: missing, vendor: 1, product: 2, onReport: () => {} }),
      (e: unknown) => {
        assert.ok(e instanceof UhidOpenError);
        assert.equal(e.code, 'ENOENT');
        assert.equal(e.path, missing);
        assert.match(e.message, /modprobe uhid/);
        return true;
      },
    );
    // A directory is not a device file: the message names the path.
    await assert.rejects(startUhidTransport({ path: dir, vendor: 1, product: 2, onReport: () => {} }), (e: unknown) => {
      assert.ok(e instanceof UhidOpenError);
      assert.ok(e.message.includes(dir));
      return true;
    });
  });

  it('names the udev rule when access is denied', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const e = describeOpenError('/dev/uhid', Object.assign(new Error('denied'), { code }));
      assert.equal(e.code, code);
      assert.ok(e.message.includes('KERNEL=="uhid", GROUP="<group>", MODE="0660"'), e.message);
      assert.match(e.message, /run with access/);
    }
  });
});

describe('UHID transport against a fake kernel', () => {
  it(
    'creates "softkey FIDO2" on BUS_USB and serves INIT, getInfo, makeCredential and getAssertion to a hidraw-style client',
    { timeout: GUARD_MS },
    async () => {
      const { file, kernel } = await fakeUhid();
      const device = await openDevice({ dataDir: ':memory:', presence: { request: async () => 'approved' } });
      cleanups.push(() => device.close());
      const served = attachHid(
        device,
        await uhidPort({ ...softkeyUhidDevice({ bcdDevice: SOFTKEY_BCD_DEVICE, serial: 'SK-1' }), file }),
      );
      cleanups.push(() => served.close());
      assert.match(served.description, /UHID/);

      const create = await kernel.next();
      assert.equal(create.type, T.CREATE2);
      const c = view(create.bytes);
      assert.equal(cstr(create.bytes.subarray(CREATE2.NAME, CREATE2.NAME + 128)), 'softkey FIDO2');
      assert.equal(cstr(create.bytes.subarray(CREATE2.UNIQ, CREATE2.UNIQ + 64)), 'SK-1');
      assert.equal(c.getUint16(CREATE2.BUS, LE), 3, 'BUS_USB');
      assert.equal(c.getUint32(CREATE2.VENDOR, LE), SOFTKEY_USB_VENDOR_ID);
      assert.equal(c.getUint32(CREATE2.PRODUCT, LE), SOFTKEY_USB_PRODUCT_ID);
      const rdSize = c.getUint16(CREATE2.RD_SIZE, LE);
      const rd = parseReportDescriptor(create.bytes.slice(CREATE2.RD_DATA, CREATE2.RD_DATA + rdSize));
      assert.equal(rd.usagePage, 0xf1d0);

      kernel.write(kernelEvent(T.START));
      kernel.write(kernelEvent(T.OPEN));

      const rng = (n: number) => new Uint8Array(randomBytes(n));
      const host = new CtapHidHost(kernel.pipe(), { rng });
      const info = await host.init();
      assert.deepEqual(info.deviceVersion, [0, 1, 0]);
      const getInfo = decodeGetInfoResponse(await host.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
      assert.ok(getInfo.versions.includes('FIDO_2_0'));

      const made = decodeMakeCredentialResponse(
        await host.cbor(
          encodeMakeCredentialRequest({
            clientDataHash: rng(32),
            rp: { id: 'uhid.example' },
            user: { id: Uint8Array.of(1, 2, 3), name: 'alice' },
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          }),
        ),
      );
      const attested = parseAuthenticatorData(made.authData).attestedCredentialData!;
      assert.deepEqual(
        parseAuthenticatorData(made.authData).rpIdHash,
        sha256(new TextEncoder().encode('uhid.example')),
      );

      const clientDataHash = rng(32);
      const assertion = decodeGetAssertionResponse(
        await host.cbor(
          encodeGetAssertionRequest({
            rpId: 'uhid.example',
            clientDataHash,
            allowList: [{ type: 'public-key', id: attested.credentialId }],
          }),
        ),
      );
      assert.deepEqual(assertion.credential.id, attested.credentialId);
      const signed = Uint8Array.of(...assertion.authData, ...clientDataHash);
      assert.ok(verifySignature(decodeCoseKey(attested.credentialPublicKey), signed, assertion.signature));

      // A client that writes 64 bytes without the report ID is understood too.
      const bare = new CtapHidHost(kernel.pipe(false), { rng });
      const bareInfo = await bare.init();
      assert.notEqual(bareInfo.cid, info.cid);

      // close() destroys the device; the kernel answers with CLOSE and STOP.
      const closing = served.close();
      const destroy = await kernel.next();
      assert.equal(destroy.type, T.DESTROY);
      kernel.write(kernelEvent(T.CLOSE));
      kernel.write(kernelEvent(T.STOP));
      await closing;
    },
  );

  it(
    'answers GET_REPORT and SET_REPORT, reports START/OPEN/CLOSE/STOP, and power-cycles when the driver re-binds',
    { timeout: GUARD_MS },
    async () => {
      const { file, kernel } = await fakeUhid();
      const reports: Uint8Array[] = [];
      const statuses: UhidStatus[] = [];
      let powerCycles = 0;
      let gotReport: () => void = () => {};
      const uhid = await startUhidTransport({
        file,
        vendor: 0x1209,
        product: 0x0001,
        onReport: (r) => {
          reports.push(r);
          gotReport();
        },
        onStatus: (s) => statuses.push(s),
        onPowerCycle: () => powerCycles++,
      });
      cleanups.push(() => uhid.close());
      assert.equal((await kernel.next()).type, T.CREATE2);

      // A feature GET_REPORT is refused at once (err != 0) with the request's id.
      kernel.write(
        kernelEvent(T.GET_REPORT, (v, b) => {
          v.setUint32(GET_REPORT.ID, 1001, LE);
          b[GET_REPORT.RTYPE] = UHID_FEATURE_REPORT;
        }),
      );
      const getReply = await kernel.next();
      assert.equal(getReply.type, T.GET_REPORT_REPLY);
      assert.equal(view(getReply.bytes).getUint32(GET_REPORT_REPLY.ID, LE), 1001);
      assert.notEqual(view(getReply.bytes).getUint16(GET_REPORT_REPLY.ERR, LE), 0);

      // An output report sent as SET_REPORT is delivered and acknowledged; a feature report is refused.
      const report = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
      const delivered = new Promise<void>((resolve) => (gotReport = resolve));
      kernel.write(
        kernelEvent(T.SET_REPORT, (v, b) => {
          v.setUint32(SET_REPORT.ID, 1002, LE);
          b[SET_REPORT.RTYPE] = UHID_OUTPUT_REPORT;
          v.setUint16(SET_REPORT.SIZE, 65, LE);
          b.set([0, ...report], SET_REPORT.DATA);
        }),
      );
      const setReply = await kernel.next();
      assert.equal(setReply.type, T.SET_REPORT_REPLY);
      assert.equal(view(setReply.bytes).getUint32(SET_REPORT_REPLY.ID, LE), 1002);
      assert.equal(view(setReply.bytes).getUint16(SET_REPORT_REPLY.ERR, LE), 0);
      await delivered;
      assert.deepEqual(reports, [report]);

      kernel.write(
        kernelEvent(T.SET_REPORT, (v, b) => {
          v.setUint32(SET_REPORT.ID, 1003, LE);
          b[SET_REPORT.RTYPE] = UHID_FEATURE_REPORT;
        }),
      );
      const refused = await kernel.next();
      assert.equal(view(refused.bytes).getUint32(SET_REPORT_REPLY.ID, LE), 1003);
      assert.notEqual(view(refused.bytes).getUint16(SET_REPORT_REPLY.ERR, LE), 0);

      // Feature-type OUTPUT events are not reports; a report of the wrong size cannot be sent.
      kernel.write(outputEvent(new Uint8Array(65).fill(9), UHID_FEATURE_REPORT));
      assert.throws(() => uhid.send(new Uint8Array(63)), RangeError);

      // START, OPEN, CLOSE, STOP, START: the second START is a re-plug.
      for (const t of [T.START, T.OPEN, T.CLOSE, T.STOP, T.START]) kernel.write(kernelEvent(t));
      // An input report after them: once it arrives, every event before it was handled.
      const last = new Promise<Uint8Array>((resolve) => kernel.inputReports.add(resolve));
      kernel.write(kernelEvent(T.GET_REPORT, (v) => v.setUint32(GET_REPORT.ID, 1004, LE)));
      assert.equal((await kernel.next()).type, T.GET_REPORT_REPLY);
      uhid.send(report);
      assert.deepEqual(await last, report);
      assert.deepEqual(statuses, ['started', 'opened', 'closed', 'stopped', 'started']);
      assert.equal(powerCycles, 1);
      assert.equal(reports.length, 1, 'the feature OUTPUT event was not delivered');

      const closing = uhid.close();
      assert.equal((await kernel.next()).type, T.DESTROY);
      kernel.write(kernelEvent(T.STOP));
      await closing;
      uhid.send(report); // after close: dropped, no throw
    },
  );
});
