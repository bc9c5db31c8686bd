/**
 * The USB devices softkey presents over UHID and USB/IP: its FIDO HID device (usage page 0xF1D0)
 * and the Filecoin app's Ledger-style HID device, with their ids, names and report descriptors.
 * The device version (bcdDevice) is the caller's: the CTAPHID device version the front reports.
 */
import { HidAssembler, makeBlocks } from './ledgerHidFraming.js';
import { DEFAULT_UHID_NAME, type UhidTransportOptions } from './uhid.js';
import { FIDO_REPORT_DESCRIPTOR, LEDGER_REPORT_DESCRIPTOR } from './usbDescriptors.js';
import type { UsbipDeviceOptions } from './usbip.js';

/**
 * USB ids the HID transports present by default: 0x1209 is the pid.codes open-source vendor id and
 * 0x0001 its "test PID" (not for products). Clients find FIDO devices by usage page 0xF1D0, not by id.
 */
export const SOFTKEY_USB_VENDOR_ID = 0x1209;
export const SOFTKEY_USB_PRODUCT_ID = 0x0001;
export const SOFTKEY_PRODUCT_NAME = 'softkey FIDO2';
export const DEFAULT_USBIP_BUSID = '1-1';
/** The Filecoin app's Ledger-style HID interface: Ledger's vendor id (what Ledger clients look for). */
export const LEDGER_USB_VENDOR_ID = 0x2c97;
export const LEDGER_USB_PRODUCT_ID = 0x0001;
export const WALLET_USBIP_BUSID = '1-2';

/** What the USB/IP wallet device needs of the Filecoin app: one APDU in, one response out. */
export interface ApduExchange {
  exchange(apdu: Uint8Array): Promise<Uint8Array>;
}

/** The device's version as USB's bcdDevice, and its serial number string. */
export interface SoftkeyUsbIdentity {
  bcdDevice: number;
  serial?: string;
}

/** softkey's FIDO HID device as UHID creates it (the options of uhid.ts uhidPort). */
export function softkeyUhidDevice(o: SoftkeyUsbIdentity): Omit<UhidTransportOptions, 'onReport' | 'onPowerCycle'> {
  return {
    name: DEFAULT_UHID_NAME,
    vendor: SOFTKEY_USB_VENDOR_ID,
    product: SOFTKEY_USB_PRODUCT_ID,
    version: o.bcdDevice,
    ...(o.serial !== undefined && { uniq: o.serial }),
    reportDescriptor: FIDO_REPORT_DESCRIPTOR,
  };
}

/** softkey's FIDO HID device as USB/IP exports it (busid 1-1). */
export function softkeyUsbipDevice(o: SoftkeyUsbIdentity): Omit<UsbipDeviceOptions, 'onReport'> {
  return {
    busid: DEFAULT_USBIP_BUSID,
    vendor: SOFTKEY_USB_VENDOR_ID,
    product: SOFTKEY_USB_PRODUCT_ID,
    bcdDevice: o.bcdDevice,
    manufacturer: 'softkey',
    productName: SOFTKEY_PRODUCT_NAME,
    ...(o.serial !== undefined && { serial: o.serial }),
    reportDescriptor: FIDO_REPORT_DESCRIPTOR,
  };
}

/**
 * The Filecoin app as a USB HID device speaking Ledger's HID framing (channel, tag 0x05, sequence,
 * 64-byte reports): whole APDUs go to the app one at a time, answers go back on the host's channel.
 */
export function ledgerDevice(
  app: ApduExchange,
  send: (report: Uint8Array) => void,
  o: { bcdDevice: number; onError?: (e: unknown) => void },
): UsbipDeviceOptions {
  const assembler = new HidAssembler();
  let queue: Promise<void> = Promise.resolve();
  return {
    busid: WALLET_USBIP_BUSID,
    vendor: LEDGER_USB_VENDOR_ID,
    product: LEDGER_USB_PRODUCT_ID,
    bcdDevice: o.bcdDevice,
    manufacturer: 'softkey',
    productName: 'softkey Filecoin (Ledger-style)',
    reportDescriptor: LEDGER_REPORT_DESCRIPTOR,
    onReport: (report) => {
      const r = assembler.push(report);
      if (r.kind !== 'message') return; // need-more, or a malformed packet that resets the assembler
      queue = queue
        .then(() => app.exchange(r.message))
        .then((answer) => makeBlocks(r.channel, answer).forEach(send))
        .catch((e: unknown) => o.onError?.(e));
    },
  };
}
