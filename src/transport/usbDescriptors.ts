/**
 * USB and HID descriptors for a software HID device (USB 2.0 §9.6, HID 1.11 §6.2), shared by the
 * USB/IP server (which answers GET_DESCRIPTOR with them) and the Linux UHID transport (which hands
 * the report descriptor to the kernel).
 *
 * Report descriptors:
 *   - FIDO (CTAP 2.1 §11.2.8.1): usage page 0xF1D0 (FIDO Alliance), usage 0x01 (CTAPHID), one
 *     64-byte input report (usage 0x20) and one 64-byte output report (usage 0x21), no report IDs.
 *   - Ledger-style vendor HID (the Filecoin app): usage page 0xFFA0, usage 0x01, 64-byte input
 *     (usage 0x03) and output (usage 0x04) reports, no report IDs.
 *
 * Multi-byte USB descriptor fields are little-endian. Bytes only: no protocol logic here.
 */
import { utf8 } from '../encoding/bytes.js';

export const HID_REPORT_SIZE = 64;

/** USB descriptor types (USB 2.0 table 9-5, HID 1.11 §7.1). */
export const DescriptorType = {
  DEVICE: 0x01,
  CONFIGURATION: 0x02,
  STRING: 0x03,
  INTERFACE: 0x04,
  ENDPOINT: 0x05,
  DEVICE_QUALIFIER: 0x06,
  HID: 0x21,
  HID_REPORT: 0x22,
} as const;

export const USB_CLASS_PER_INTERFACE = 0x00;
export const USB_CLASS_HID = 0x03;
export const USB_ENDPOINT_INTERRUPT = 0x03;
/** English (United States), the one language of our string descriptors. */
export const LANGID_EN_US = 0x0409;

/** Builds a report descriptor with one vendor-page application collection of N-byte input and output reports. */
function reportDescriptor(
  usagePage: number,
  usage: number,
  inUsage: number,
  outUsage: number,
  size: number,
): Uint8Array {
  // Short items (HID 1.11 §6.2.2.2): tag|type|size, then the data, little-endian.
  return Uint8Array.of(
    0x06,
    usagePage & 0xff,
    usagePage >>> 8, // Usage Page (16-bit)
    0x09,
    usage, //                           Usage
    0xa1,
    0x01, //                            Collection (Application)
    0x09,
    inUsage, //                           Usage (input report data)
    0x15,
    0x00, //                              Logical Minimum (0)
    0x26,
    0xff,
    0x00, //                        Logical Maximum (255)
    0x75,
    0x08, //                              Report Size (8 bits)
    0x95,
    size, //                              Report Count (N)
    0x81,
    0x02, //                              Input (Data, Variable, Absolute)
    0x09,
    outUsage, //                          Usage (output report data)
    0x15,
    0x00, //                              Logical Minimum (0)
    0x26,
    0xff,
    0x00, //                        Logical Maximum (255)
    0x75,
    0x08, //                              Report Size (8 bits)
    0x95,
    size, //                              Report Count (N)
    0x91,
    0x02, //                              Output (Data, Variable, Absolute)
    0xc0, //                                  End Collection
  );
}

export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE_CTAPHID = 0x01;
/** The FIDO HID report descriptor: 64-byte input and output reports on usage page 0xF1D0. */
export const FIDO_REPORT_DESCRIPTOR: Uint8Array = reportDescriptor(
  FIDO_USAGE_PAGE,
  FIDO_USAGE_CTAPHID,
  0x20,
  0x21,
  HID_REPORT_SIZE,
);

export const LEDGER_USAGE_PAGE = 0xffa0;
/** A Ledger-style vendor HID report descriptor (usage page 0xFFA0): 64-byte input and output reports. */
export const LEDGER_REPORT_DESCRIPTOR: Uint8Array = reportDescriptor(
  LEDGER_USAGE_PAGE,
  0x01,
  0x03,
  0x04,
  HID_REPORT_SIZE,
);

/** What a one-interface HID device says about itself. */
export interface HidDeviceIdentity {
  vendor: number;
  product: number;
  /** bcdDevice; default 0x0100. */
  bcdDevice?: number;
  manufacturer?: string;
  productName?: string;
  serial?: string;
}

export const DEFAULT_MANUFACTURER = 'softkey';
export const DEFAULT_SERIAL = '000000000001';

/** String descriptor indexes used by buildDeviceDescriptor. */
export const StringIndex = { MANUFACTURER: 1, PRODUCT: 2, SERIAL: 3 } as const;

const le16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];

/** The 18-byte device descriptor: USB 2.0, class defined per interface, EP0 of 64 bytes, one configuration. */
export function buildDeviceDescriptor(id: HidDeviceIdentity): Uint8Array {
  return Uint8Array.of(
    18,
    DescriptorType.DEVICE,
    ...le16(0x0200), // bcdUSB
    USB_CLASS_PER_INTERFACE,
    0x00,
    0x00, // bDeviceClass, bDeviceSubClass, bDeviceProtocol
    64, // bMaxPacketSize0
    ...le16(id.vendor),
    ...le16(id.product),
    ...le16(id.bcdDevice ?? 0x0100),
    StringIndex.MANUFACTURER,
    StringIndex.PRODUCT,
    StringIndex.SERIAL,
    1, // bNumConfigurations
  );
}

export const INTERRUPT_IN_ENDPOINT = 0x81;
export const INTERRUPT_OUT_ENDPOINT = 0x01;
export const CONFIGURATION_VALUE = 1;

/**
 * Configuration 1: one HID interface (class 3, no boot subclass) with its HID descriptor and an
 * interrupt IN (0x81) and OUT (0x01) endpoint of 64 bytes, polled every `intervalMs`.
 */
export function buildConfigurationDescriptor(reportDescriptorLength: number, intervalMs = 5): Uint8Array {
  const config = [9, DescriptorType.CONFIGURATION, 0, 0, 1, CONFIGURATION_VALUE, 0, 0x80, 50]; // bus powered, 100 mA
  const iface = [9, DescriptorType.INTERFACE, 0, 0, 2, USB_CLASS_HID, 0x00, 0x00, 0];
  const hid = [
    9,
    DescriptorType.HID,
    ...le16(0x0111),
    0,
    1,
    DescriptorType.HID_REPORT,
    ...le16(reportDescriptorLength),
  ];
  const epIn = [
    7,
    DescriptorType.ENDPOINT,
    INTERRUPT_IN_ENDPOINT,
    USB_ENDPOINT_INTERRUPT,
    ...le16(HID_REPORT_SIZE),
    intervalMs,
  ];
  const epOut = [
    7,
    DescriptorType.ENDPOINT,
    INTERRUPT_OUT_ENDPOINT,
    USB_ENDPOINT_INTERRUPT,
    ...le16(HID_REPORT_SIZE),
    intervalMs,
  ];
  const all = Uint8Array.from([...config, ...iface, ...hid, ...epIn, ...epOut]);
  all[2] = all.length & 0xff; // wTotalLength
  all[3] = all.length >>> 8;
  return all;
}

/** The HID descriptor alone (what GET_DESCRIPTOR(HID) on the interface answers): bytes 18..27 of the configuration. */
export function buildHidDescriptor(reportDescriptorLength: number): Uint8Array {
  return buildConfigurationDescriptor(reportDescriptorLength).slice(18, 27);
}

/** String descriptor 0 (the supported LANGIDs) or a UTF-16LE string, truncated to the 126-code-unit maximum. */
export function buildStringDescriptor(text: string): Uint8Array {
  if (text === 'LANGIDS') return Uint8Array.of(4, DescriptorType.STRING, ...le16(LANGID_EN_US));
  const units: number[] = [];
  for (let i = 0; i < text.length && units.length < 126; i++) units.push(text.charCodeAt(i));
  const out = new Uint8Array(2 + units.length * 2);
  out[0] = out.length;
  out[1] = DescriptorType.STRING;
  units.forEach((u, i) => {
    out[2 + i * 2] = u & 0xff;
    out[3 + i * 2] = u >>> 8;
  });
  return out;
}

/** A NUL-padded fixed-size field holding UTF-8 text (always leaves room for the terminating NUL). */
export function fixedString(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const bytes = utf8.encode(text);
  let n = Math.min(bytes.length, size - 1);
  // Do not cut a multi-byte UTF-8 sequence in half.
  while (n > 0 && n < bytes.length && (bytes[n]! & 0xc0) === 0x80) n--;
  out.set(bytes.subarray(0, n));
  return out;
}

/** Reads a NUL-terminated UTF-8 string from a fixed-size field. */
export function readFixedString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
}
