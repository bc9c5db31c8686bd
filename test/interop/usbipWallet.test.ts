/**
 * The Filecoin app over USB/IP (issue #7): the unmodified Zondax client talks to softkey's second
 * USB/IP device (busid 1-2, Ledger's vendor id, usage page 0xFFA0) through a Ledger HID transport
 * built here on URB submits: APDUs cut into Ledger HID frames on interrupt OUT, answers read back
 * from interrupt IN, exactly what Ledger's node-hid transport does on a real USB device.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, it } from 'node:test';
import { FilecoinApp } from '@zondax/ledger-filecoin';
import type * as TransportModule from '@ledgerhq/hw-transport';
import { fromHex, toHex } from '../../src/encoding/bytes.js';
import { attachHid } from '../../src/main/hidFront.js';
import { hidTransport } from '../../src/main/hidTransports.js';
import { LEDGER_USB_VENDOR_ID, WALLET_USBIP_BUSID } from '../../src/transport/softkeyUsbDevices.js';
import type { usbipHidPort } from '../../src/transport/usbip.js';
import { openDevice } from '../../src/main/device.js';
import { HidAssembler, makeBlocks } from '../../src/transport/ledgerHidFraming.js';
import { ADDRESS_VECTORS, PATH, SIG_VECTORS, TX, walletWithZemuSeed } from '../wallet/helpers.js';
import { devlist, importDevice, type ImportedDevice } from '../transport/usbipTestClient.js';

const require = createRequire(import.meta.url);
const Transport = (require('@ledgerhq/hw-transport') as (typeof TransportModule)['default']).default;

/** Ledger's HID channel as its hid transports use it. */
const CHANNEL = 0x0101;

/** A Ledger transport over an imported USB/IP device: one APDU at a time, framed in 64-byte reports. */
class UsbipLedgerTransport extends Transport {
  private readonly pipe;
  private waiting: ((message: Uint8Array) => void) | undefined;
  private readonly assembler = new HidAssembler(CHANNEL);
  constructor(dev: ImportedDevice) {
    super();
    this.pipe = dev.reportPipe();
    this.pipe.onReport((report) => {
      const r = this.assembler.push(report);
      if (r.kind === 'message') this.waiting?.(r.message);
    });
  }
  override async exchange(apdu: Buffer): Promise<Buffer> {
    const answer = new Promise<Uint8Array>((resolve) => (this.waiting = resolve));
    for (const block of makeBlocks(CHANNEL, apdu)) void this.pipe.send(block);
    return Buffer.from(await answer);
  }
  override async close(): Promise<void> {
    this.pipe.stop();
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it(
  'the Zondax client reads addresses and signs through the USB/IP Ledger-style device',
  { timeout: 60_000 },
  async () => {
    const device = await openDevice({ dataDir: ':memory:', presence: { request: async () => 'approved' } });
    const { app } = walletWithZemuSeed();
    const served = attachHid(
      device,
      (await hidTransport('usbip').open({ host: '127.0.0.1', port: 0 }, { wallet: app })) as Awaited<
        ReturnType<typeof usbipHidPort>
      >,
    );
    cleanups.push(() => served.close());
    assert.match(served.description, /Filecoin app is busid 1-2/);

    const list = await devlist(served.address.port);
    const listed = list.devices.find((d) => d.busid === WALLET_USBIP_BUSID);
    assert.ok(listed, 'the wallet device is listed');
    assert.equal(listed.idVendor, LEDGER_USB_VENDOR_ID);
    assert.deepEqual(
      listed.interfaces.map((i) => i.cls),
      [3],
      'one HID interface',
    );

    const imp = await importDevice(served.address.port, WALLET_USBIP_BUSID);
    assert.equal(imp.status, 0);
    const dev = imp.imported!;
    cleanups.push(() => dev.close());
    const transport = new UsbipLedgerTransport(dev);
    cleanups.push(() => transport.close());
    const fil = new FilecoinApp(transport);

    const version = await fil.getVersion();
    assert.equal(version.major, 2);
    for (const v of ADDRESS_VECTORS) {
      const r = await fil.getAddressAndPubKey(v.path);
      assert.equal(toHex(new Uint8Array(r.compressed_pk)), v.pk, v.path);
      assert.equal(r.addrString, v.addrS, v.path);
    }
    // A transaction spans several APDU chunks and several HID frames each way.
    const sig = await fil.sign(PATH, Buffer.from(fromHex(TX.signBasic)));
    assert.equal(toHex(new Uint8Array([...sig.signature_compact, ...sig.signature_der])), SIG_VECTORS.signBasic.answer);
  },
);
