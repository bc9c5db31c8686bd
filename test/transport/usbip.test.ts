/**
 * USB/IP server: the wire layout against Documentation/usb/usbip_protocol.rst, Linux's own `usbip`
 * tool listing the exported devices, and a protocol-level client (test/transport/usbipTestClient.ts)
 * that imports the FIDO device, enumerates it through control URBs and runs CTAPHID over interrupt
 * URBs against a real softkey device.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { toHex } from '../../src/encoding/bytes.js';
import { openDevice } from '../../src/main/device.js';
import { attachHid } from '../../src/main/hidFront.js';
import { SOFTKEY_BCD_DEVICE } from '../../src/main/hidTransports.js';
import {
  softkeyUsbipDevice,
  SOFTKEY_USB_PRODUCT_ID,
  SOFTKEY_USB_VENDOR_ID,
} from '../../src/transport/softkeyUsbDevices.js';
import { FIDO_REPORT_DESCRIPTOR, LEDGER_REPORT_DESCRIPTOR } from '../../src/transport/usbDescriptors.js';
import {
  encodeDevlistReply,
  encodeImportReply,
  encodeRetSubmit,
  encodeRetUnlink,
  startUsbipServer,
  usbipHidPort,
  type UsbipDeviceInfo,
} from '../../src/transport/usbip.js';
import { devlist, DOC, importDevice } from './usbipTestClient.js';

/** Fails a test that hangs waiting for a message (not a timing assertion). */
const GUARD_MS = 30_000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const rng = (n: number) => new Uint8Array(randomBytes(n));
const LEDGER_VENDOR = 0x2c97;

const info = (busid: string, interfaces = 1): UsbipDeviceInfo => ({
  path: `/sys/devices/x/${busid}`,
  busid,
  busnum: 1,
  devnum: 7,
  speed: 2,
  idVendor: 0x1209,
  idProduct: 0xabcd,
  bcdDevice: 0x0123,
  bDeviceClass: 0,
  bDeviceSubClass: 0,
  bDeviceProtocol: 0,
  bConfigurationValue: 1,
  bNumConfigurations: 1,
  interfaces: Array.from({ length: interfaces }, (_, i) => ({
    bInterfaceClass: 3,
    bInterfaceSubClass: i,
    bInterfaceProtocol: 0,
  })),
});

describe('USB/IP wire layout (usbip_protocol.rst)', () => {
  it('OP_REP_DEVLIST puts each field at the documented offset, devices back to back after their interfaces', () => {
    const b = encodeDevlistReply([info('1-1', 2), info('1-2')]);
    const v = new DataView(b.buffer);
    assert.equal(v.getUint16(0), 0x0111);
    assert.equal(v.getUint16(2), 0x0005);
    assert.equal(v.getUint32(4), 0);
    assert.equal(v.getUint32(8), 2);
    assert.equal(new TextDecoder().decode(b.subarray(0x0c, 0x0c + 17)), '/sys/devices/x/1-');
    assert.equal(new TextDecoder().decode(b.subarray(0x10c, 0x10f)), '1-1');
    assert.equal(b[0x10f], 0);
    assert.equal(v.getUint32(0x12c), 1); // busnum
    assert.equal(v.getUint32(0x130), 7); // devnum
    assert.equal(v.getUint32(0x134), 2); // speed
    assert.equal(v.getUint16(0x138), 0x1209);
    assert.equal(v.getUint16(0x13a), 0xabcd);
    assert.equal(v.getUint16(0x13c), 0x0123);
    assert.deepEqual([...b.subarray(0x13e, 0x144)], [0, 0, 0, 1, 1, 2]); // class, subclass, protocol, config, #configs, #interfaces
    assert.deepEqual([...b.subarray(0x144, 0x14c)], [3, 0, 0, 0, 3, 1, 0, 0]); // two interfaces with padding
    // "The second exported USB device starts at i=1 with the path field": 0xC + i*0x138 + m_0*4.
    const second = 0x0c + 1 * 0x138 + 2 * 4;
    assert.equal(new TextDecoder().decode(b.subarray(second + 0x100, second + 0x103)), '1-2');
    assert.equal(b.length, second + 0x138 + 4);
  });

  it('OP_REP_IMPORT carries the device at offset 8 on success and ends after the status on failure', () => {
    const ok = encodeImportReply(0, info('3-2'));
    const v = new DataView(ok.buffer);
    assert.equal(ok.length, 8 + 0x138);
    assert.equal(v.getUint16(2), 0x0003);
    assert.equal(new TextDecoder().decode(ok.subarray(0x108, 0x10b)), '3-2');
    assert.equal(v.getUint16(0x134), 0x1209);
    assert.equal(ok[0x13f], 1, 'bNumInterfaces');
    assert.equal(toHex(encodeImportReply(1)), '0111000300000001');
  });

  it('USBIP_RET_SUBMIT and USBIP_RET_UNLINK are 48-byte big-endian headers, data after an IN completion', () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => i);
    const ret = encodeRetSubmit(0xd05, 0, 64, data);
    assert.equal(ret.length, 0x30 + 64);
    // command, seqnum, devid, direction, ep (0 from a server), status, actual_length, start_frame, number_of_packets, error_count, padding
    assert.equal(
      toHex(ret.subarray(0, 0x30)),
      '00000003' + '00000d05' + '00000000'.repeat(4) + '00000040' + '00000000'.repeat(5),
    );
    assert.deepEqual(ret.subarray(0x30), data);
    assert.equal(toHex(encodeRetSubmit(9, -32, 0).subarray(0x14, 0x18)), 'ffffffe0', 'status is -EPIPE');
    const unlink = encodeRetUnlink(0x10, -104);
    assert.equal(toHex(unlink), '00000004' + '00000010' + '00000000'.repeat(3) + 'ffffff98' + '00000000'.repeat(6));
  });
});

/** The usbip binary of Debian's `usbip` package, if installed. */
function findUsbip(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'usbip');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const usbip = findUsbip();
const inCi = process.env.CI === 'true';

describe("Linux's usbip tool", () => {
  it(
    "lists softkey's FIDO device and a second (Ledger-style) device with their ids and HID interface",
    { timeout: GUARD_MS, skip: !usbip && !inCi ? 'usbip is not installed (apt-get install usbip)' : false },
    async () => {
      assert.ok(usbip, 'the usbip binary is required under CI=true: apt-get install usbip');
      const server = await startUsbipServer({
        port: 0,
        devices: [
          {
            busid: '1-1',
            vendor: 0x1209,
            product: 0x0001,
            reportDescriptor: FIDO_REPORT_DESCRIPTOR,
            onReport: () => {},
          },
          {
            busid: '1-2',
            vendor: LEDGER_VENDOR,
            product: 0x0001,
            reportDescriptor: LEDGER_REPORT_DESCRIPTOR,
            onReport: () => {},
          },
        ],
      });
      cleanups.push(() => server.close());
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          usbip,
          ['--tcp-port', String(server.address.port), 'list', '-r', '127.0.0.1'],
          { timeout: 20_000 },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      const blocks = out.split(/\n\s*\n/);
      const fido = blocks.find((b) => /^\s*1-1:/m.test(b));
      const ledger = blocks.find((b) => /^\s*1-2:/m.test(b));
      assert.ok(fido, out);
      assert.ok(ledger, out);
      assert.match(fido, /\(1209:0001\)/);
      assert.match(fido, /\(00\/00\/00\)/, 'device class defined per interface');
      assert.match(fido, /0 - Human Interface Device .*\(03\/00\/00\)/);
      assert.match(ledger, /\(2c97:0001\)/);
      assert.match(ledger, /0 - Human Interface Device .*\(03\/00\/00\)/);
    },
  );
});

describe('USB/IP client ↔ softkey', () => {
  async function fidoOverUsbip() {
    const device = await openDevice({ dataDir: ':memory:', presence: { request: async () => 'approved' } });
    cleanups.push(() => device.close());
    const ledgerReports: Uint8Array[] = [];
    const served = attachHid(
      device,
      await usbipHidPort({
        port: 0,
        device: softkeyUsbipDevice({ bcdDevice: SOFTKEY_BCD_DEVICE, serial: 'SK-USBIP' }),
        extraDevices: [
          {
            busid: '1-2',
            vendor: LEDGER_VENDOR,
            product: 0x0001,
            productName: 'Ledger-style',
            reportDescriptor: LEDGER_REPORT_DESCRIPTOR,
            onReport: (r) => ledgerReports.push(r),
          },
        ],
      }),
    );
    cleanups.push(() => served.close());
    return { device, served, ledgerReports, port: served.address.port };
  }

  it(
    'lists, imports, enumerates through control URBs and runs INIT, getInfo, makeCredential, getAssertion over interrupt URBs',
    { timeout: GUARD_MS },
    async () => {
      const { served, port } = await fidoOverUsbip();
      assert.equal(served.busid, '1-1');
      assert.match(served.description, /usbip --tcp-port \d+ attach -r 127\.0\.0\.1 -b 1-1/);

      const list = await devlist(port);
      assert.deepEqual([list.version, list.code, list.status], [DOC.VERSION, DOC.OP_REP_DEVLIST, 0]);
      assert.deepEqual(
        list.devices.map((d) => d.busid),
        ['1-1', '1-2'],
      );
      const listed = list.devices[0]!;
      assert.equal(listed.idVendor, SOFTKEY_USB_VENDOR_ID);
      assert.equal(listed.idProduct, SOFTKEY_USB_PRODUCT_ID);
      assert.equal(listed.bDeviceClass, 0);
      assert.equal(listed.speed, 2, 'full speed');
      assert.deepEqual(listed.interfaces, [{ cls: 3, subclass: 0, protocol: 0, padding: 0 }]);

      const imp = await importDevice(port, '1-1');
      assert.equal(imp.status, 0);
      assert.equal(imp.code, DOC.OP_REP_IMPORT);
      assert.deepEqual({ ...imp.device!, interfaces: [] }, { ...listed, interfaces: [] });
      const dev = imp.imported!;
      cleanups.push(() => dev.close());

      // Device descriptor: first 8 bytes (as Linux asks first), then all 18.
      const short = await dev.getDescriptor(1, 0, 8);
      assert.equal(short.status, 0);
      assert.equal(short.data.length, 8);
      const dd = (await dev.getDescriptor(1, 0, 18)).data;
      assert.equal(dd.length, 18);
      assert.deepEqual([dd[0], dd[1]], [18, 1]);
      assert.equal(dd[4], 0, 'bDeviceClass: per interface');
      assert.equal(dd[7], 64, 'bMaxPacketSize0');
      assert.equal(dd[8]! | (dd[9]! << 8), SOFTKEY_USB_VENDOR_ID);
      assert.equal(dd[10]! | (dd[11]! << 8), SOFTKEY_USB_PRODUCT_ID);
      assert.equal(dd[17], 1, 'bNumConfigurations');

      // Configuration: 9 bytes for wTotalLength, then the whole tree.
      const head = (await dev.getDescriptor(2, 0, 9)).data;
      const total = head[2]! | (head[3]! << 8);
      const cfg = (await dev.getDescriptor(2, 0, total)).data;
      assert.equal(cfg.length, total);
      const descriptors: Uint8Array[] = [];
      for (let o = 0; o < cfg.length; o += cfg[o]!) descriptors.push(cfg.subarray(o, o + cfg[o]!));
      assert.deepEqual(
        descriptors.map((d) => d[1]),
        [2, 4, 0x21, 5, 5],
        'configuration, interface, HID, endpoint, endpoint',
      );
      const [, iface, hidDesc, ep1, ep2] = descriptors as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      assert.equal(cfg[4], 1, 'bNumInterfaces');
      assert.deepEqual([iface[4], iface[5]], [2, 3], 'two endpoints, class HID');
      assert.equal(hidDesc[6], 0x22, 'HID descriptor names a report descriptor');
      const reportLength = hidDesc[7]! | (hidDesc[8]! << 8);
      assert.deepEqual([ep1[2], ep1[3], ep1[4]! | (ep1[5]! << 8)], [0x81, 3, 64], 'interrupt IN 0x81, 64 bytes');
      assert.deepEqual([ep2[2], ep2[3], ep2[4]! | (ep2[5]! << 8)], [0x01, 3, 64], 'interrupt OUT 0x01, 64 bytes');

      // Strings: LANGID table, then UTF-16LE product and serial.
      const langs = (await dev.getDescriptor(3, 0, 255)).data;
      assert.deepEqual([...langs], [4, 3, 0x09, 0x04]);
      const utf16 = (b: Uint8Array) =>
        String.fromCharCode(...Array.from({ length: (b[0]! - 2) / 2 }, (_, i) => b[2 + 2 * i]! | (b[3 + 2 * i]! << 8)));
      assert.equal(utf16((await dev.getDescriptor(3, dd[15]!, 255)).data), 'softkey FIDO2');
      assert.equal(utf16((await dev.getDescriptor(3, dd[16]!, 255)).data), 'SK-USBIP');
      assert.equal(utf16((await dev.getDescriptor(3, dd[14]!, 255)).data), 'softkey');

      // Standard and HID class requests the host sends while binding usbhid.
      assert.equal(
        (await dev.control({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 })).status,
        0,
        'SET_CONFIGURATION(1)',
      );
      assert.deepEqual(
        [...(await dev.control({ bmRequestType: 0x80, bRequest: 8, wValue: 0, wIndex: 0, wLength: 1 })).data],
        [1],
        'GET_CONFIGURATION',
      );
      assert.deepEqual(
        [...(await dev.control({ bmRequestType: 0x80, bRequest: 0, wValue: 0, wIndex: 0, wLength: 2 })).data],
        [0, 0],
        'GET_STATUS',
      );
      assert.equal(
        (await dev.control({ bmRequestType: 0x21, bRequest: 0x0a, wValue: 0, wIndex: 0, wLength: 0 })).status,
        0,
        'SET_IDLE',
      );
      const report = await dev.getDescriptor(0x22, 0, reportLength + 64, 'interface');
      assert.equal(report.status, 0);
      assert.deepEqual(report.data, FIDO_REPORT_DESCRIPTOR, 'GET_DESCRIPTOR(report) on the interface');
      assert.deepEqual([...report.data.subarray(0, 3)], [0x06, 0xd0, 0xf1], 'usage page 0xF1D0');
      // Not supported: the endpoint stalls (-EPIPE), as a device would.
      assert.equal((await dev.getDescriptor(6, 0, 10)).status, -DOC.EPIPE, 'device qualifier of a full-speed device');
      assert.equal(
        (await dev.control({ bmRequestType: 0x40, bRequest: 0x42, wValue: 0, wIndex: 0, wLength: 0 })).status,
        -DOC.EPIPE,
        'vendor request',
      );

      // CTAPHID over the interrupt endpoints, driven like usbhid: one IN URB always waiting.
      const pipe = dev.reportPipe();
      const host = new CtapHidHost(pipe, { rng });
      const hidInfo = await host.init();
      assert.deepEqual(hidInfo.deviceVersion, [0, 1, 0]);
      const gi = decodeGetInfoResponse(await host.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
      assert.ok(gi.versions.includes('FIDO_2_1'));
      const made = decodeMakeCredentialResponse(
        await host.cbor(
          encodeMakeCredentialRequest({
            clientDataHash: rng(32),
            rp: { id: 'usbip.example' },
            user: { id: Uint8Array.of(9), name: 'bob' },
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            options: { rk: true },
          }),
        ),
      );
      const attested = parseAuthenticatorData(made.authData).attestedCredentialData!;
      const clientDataHash = rng(32);
      const assertion = decodeGetAssertionResponse(
        await host.cbor(encodeGetAssertionRequest({ rpId: 'usbip.example', clientDataHash })),
      );
      assert.deepEqual(assertion.credential.id, attested.credentialId);
      assert.ok(
        verifySignature(
          decodeCoseKey(attested.credentialPublicKey),
          Uint8Array.of(...assertion.authData, ...clientDataHash),
          assertion.signature,
        ),
      );
      pipe.stop();
      assert.deepEqual(dev.unexpected, []);
    },
  );

  it(
    'unlinks a waiting IN URB (RET_UNLINK -ECONNRESET, never a RET_SUBMIT) and completes the next one with the report',
    { timeout: GUARD_MS },
    async () => {
      const reports: Uint8Array[] = [];
      const server = await startUsbipServer({
        port: 0,
        devices: [
          {
            busid: '2-1',
            vendor: 1,
            product: 2,
            reportDescriptor: FIDO_REPORT_DESCRIPTOR,
            onReport: (r) => reports.push(r),
          },
        ],
      });
      cleanups.push(() => server.close());
      const dev = (await importDevice(server.address.port, '2-1')).imported!;
      cleanups.push(() => dev.close());

      const waiting = dev.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 });
      assert.equal(await dev.unlink(waiting.seqnum), -DOC.ECONNRESET);
      const next = dev.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 });
      const report = Uint8Array.from({ length: 64 }, (_, i) => i ^ 0x55);
      server.sendReport('2-1', report);
      const done = await next.result;
      assert.equal(done.status, 0);
      assert.deepEqual(done.data, report);
      // Unlinking a URB that already completed answers 0.
      assert.equal(await dev.unlink(next.seqnum), 0);

      // Reports sent while no IN URB waits are kept, in order, for the next ones.
      const a = new Uint8Array(64).fill(1);
      const b = new Uint8Array(64).fill(2);
      server.sendReport('2-1', a);
      server.sendReport('2-1', b);
      assert.deepEqual((await dev.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 }).result).data, a);
      assert.deepEqual((await dev.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 }).result).data, b);

      // OUT: an interrupt transfer and a SET_REPORT(output) both arrive as reports.
      const out1 = new Uint8Array(64).fill(0x11);
      const r1 = await dev.submit({ ep: 1, direction: DOC.DIR_OUT, length: 64, data: out1 }).result;
      assert.deepEqual([r1.status, r1.actualLength], [0, 64]);
      const out2 = new Uint8Array(64).fill(0x22);
      const r2 = await dev.control(
        { bmRequestType: 0x21, bRequest: 0x09, wValue: 0x0200, wIndex: 0, wLength: 64 },
        out2,
      );
      assert.deepEqual([r2.status, r2.actualLength], [0, 64]);
      assert.deepEqual(reports, [out1, out2]);
      // An endpoint the device does not have stalls.
      assert.equal((await dev.submit({ ep: 2, direction: DOC.DIR_IN, length: 64 }).result).status, -DOC.EPIPE);
      assert.deepEqual(dev.unexpected, [], 'no RET_SUBMIT for the unlinked URB');
      assert.throws(() => server.sendReport('2-1', new Uint8Array(65)), RangeError);
      assert.throws(() => server.sendReport('9-9', new Uint8Array(64)), RangeError);
    },
  );

  it(
    'refuses unknown and already imported bus ids, and lets the device be imported again after a detach',
    { timeout: GUARD_MS },
    async () => {
      const events: string[] = [];
      const server = await startUsbipServer({
        port: 0,
        devices: [
          {
            busid: '1-1',
            vendor: 1,
            product: 2,
            reportDescriptor: FIDO_REPORT_DESCRIPTOR,
            onReport: () => {},
            onAttach: () => events.push('attach'),
            onDetach: () => events.push('detach'),
          },
        ],
      });
      cleanups.push(() => server.close());
      const port = server.address.port;

      const unknown = await importDevice(port, '9-9');
      assert.notEqual(unknown.status, 0);
      assert.equal(unknown.replyLength, 8, 'a failed import ends after the status');

      const first = await importDevice(port, '1-1');
      assert.equal(first.status, 0);
      assert.ok(server.isAttached('1-1'));
      const busy = await importDevice(port, '1-1');
      assert.notEqual(busy.status, 0);

      // Reports sent while the device is attached but nobody polls are dropped on detach.
      server.sendReport('1-1', new Uint8Array(64).fill(7));
      await first.imported!.close();
      while (server.isAttached('1-1')) await new Promise((r) => setImmediate(r));
      server.sendReport('1-1', new Uint8Array(64).fill(8)); // nobody attached: dropped

      const again = await importDevice(port, '1-1');
      assert.equal(again.status, 0);
      cleanups.push(() => again.imported!.close());
      const fresh = new Uint8Array(64).fill(9);
      const pending = again.imported!.submit({ ep: 1, direction: DOC.DIR_IN, length: 64 });
      server.sendReport('1-1', fresh);
      assert.deepEqual((await pending.result).data, fresh, 'nothing from the previous attachment is delivered');
      assert.deepEqual(events, ['attach', 'detach', 'attach']);
    },
  );

  it(
    'exports a second, Ledger-style device (usage page 0xFFA0) whose reports stay its own',
    { timeout: GUARD_MS },
    async () => {
      const { ledgerReports, port } = await fidoOverUsbip();
      const imp = await importDevice(port, '1-2');
      assert.equal(imp.device!.idVendor, LEDGER_VENDOR);
      const dev = imp.imported!;
      cleanups.push(() => dev.close());
      const rd = (await dev.getDescriptor(0x22, 0, 255, 'interface')).data;
      assert.deepEqual(rd, LEDGER_REPORT_DESCRIPTOR);
      assert.deepEqual([...rd.subarray(0, 3)], [0x06, 0xa0, 0xff]);
      const dd = (await dev.getDescriptor(1, 0, 18)).data;
      const name = (await dev.getDescriptor(3, dd[15]!, 255)).data;
      assert.equal(
        String.fromCharCode(...Array.from({ length: (name[0]! - 2) / 2 }, (_, i) => name[2 + 2 * i]!)),
        'Ledger-style',
      );
      const apdu = new Uint8Array(64);
      apdu.set([0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00]);
      assert.equal((await dev.submit({ ep: 1, direction: DOC.DIR_OUT, length: 64, data: apdu }).result).status, 0);
      assert.deepEqual(ledgerReports, [apdu]);
    },
  );
});
