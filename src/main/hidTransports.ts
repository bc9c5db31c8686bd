/**
 * Wiring of the HID transports that reach every client on the host: each one gets its own
 * CtapHidDevice (channels, assembly, keepalives) over the shared authenticator of a `Device`.
 *
 *   serveUhid   Linux /dev/uhid: the kernel creates a hidraw FIDO device (browsers, libfido2, ssh)
 *   serveUsbip  a USB/IP server: `usbip attach` plugs a USB FIDO key into Linux or Windows
 *   serveTcpHid pico-fido's emulation framing (u16 BE length ‖ report) on TCP, for python-fido2
 *   serveWebSocketHid  one report per binary WebSocket message, behind a per-run token
 */
import { randomBytes } from '../crypto/aead.js';
import type { CtapHidDevice } from '../ctaphid/channels.js';
import * as b64u from '../encoding/base64url.js';
import { startTcpHidServer, DEFAULT_TCP_HID_HOST, DEFAULT_TCP_HID_PORT, type TcpHidConnection } from '../transport/tcpHid.js';
import { startWebSocketHidServer, DEFAULT_WEBSOCKET_HID_HOST, DEFAULT_WEBSOCKET_HID_PORT } from '../transport/webSocketHid.js';
import { startUhidTransport, DEFAULT_UHID_NAME, DEFAULT_UHID_PATH, type UhidFile, type UhidStatus } from '../transport/uhid.js';
import { HidAssembler, makeBlocks } from '../transport/ledgerHidFraming.js';
import { FIDO_REPORT_DESCRIPTOR, LEDGER_REPORT_DESCRIPTOR } from '../transport/usbDescriptors.js';
import { DEFAULT_USBIP_HOST, DEFAULT_USBIP_PORT, startUsbipServer, type UsbipDeviceOptions } from '../transport/usbip.js';
import { formatHostPort } from './address.js';
import { DEVICE_VERSION, type Device } from './device.js';

/**
 * USB ids the HID transports present by default: 0x1209 is the pid.codes open-source vendor id and
 * 0x0001 its "test PID" (not for products). Clients find FIDO devices by usage page 0xF1D0, not by id.
 */
export const SOFTKEY_USB_VENDOR_ID = 0x1209;
export const SOFTKEY_USB_PRODUCT_ID = 0x0001;
export const SOFTKEY_PRODUCT_NAME = 'softkey FIDO2';
export const SOFTKEY_BCD_DEVICE = (DEVICE_VERSION[0] << 8) | (DEVICE_VERSION[1] << 4) | DEVICE_VERSION[2];
export const DEFAULT_USBIP_BUSID = '1-1';
/** The Filecoin app's Ledger-style HID interface: Ledger's vendor id (what Ledger clients look for). */
export const LEDGER_USB_VENDOR_ID = 0x2c97;
export const LEDGER_USB_PRODUCT_ID = 0x0001;
export const WALLET_USBIP_BUSID = '1-2';

/** What the USB/IP wallet device needs of the Filecoin app: one APDU in, one response out. */
export interface ApduExchange {
  exchange(apdu: Uint8Array): Promise<Uint8Array>;
}

export interface ServedTransport {
  /** One line for the CLI: where the transport is and how a client reaches it. */
  readonly description: string;
  close(): Promise<void>;
}

interface Ids {
  /** Default 0x1209 / 0x0001. */
  vendor?: number;
  product?: number;
  /** Default "softkey FIDO2". */
  name?: string;
  /** Serial number string. */
  serial?: string;
}

export interface ServeUhidOptions extends Ids {
  /** Default /dev/uhid. */
  path?: string;
  /** A stand-in for the device file (tests). */
  file?: UhidFile;
  onStatus?: (status: UhidStatus) => void;
  onError?: (error: unknown) => void;
}

/** Creates the FIDO HID device through /dev/uhid. Rejects with UhidOpenError (printable) when it cannot. */
export async function serveUhid(device: Device, options: ServeUhidOptions = {}): Promise<ServedTransport & { readonly path: string }> {
  let hid: CtapHidDevice | undefined;
  const uhid = await startUhidTransport({
    ...(options.path !== undefined && { path: options.path }),
    ...(options.file && { file: options.file }),
    name: options.name ?? DEFAULT_UHID_NAME,
    vendor: options.vendor ?? SOFTKEY_USB_VENDOR_ID,
    product: options.product ?? SOFTKEY_USB_PRODUCT_ID,
    version: SOFTKEY_BCD_DEVICE,
    ...(options.serial !== undefined && { uniq: options.serial }),
    reportDescriptor: FIDO_REPORT_DESCRIPTOR,
    onReport: (report) => hid?.receive(report),
    // The kernel re-bound the driver: like a re-plug, the HID layer forgets its channels.
    onPowerCycle: () => hid?.powerCycle(),
    ...(options.onStatus && { onStatus: options.onStatus }),
    ...(options.onError && { onError: options.onError }),
  });
  hid = device.createHidDevice((report) => uhid.send(report));
  const path = options.path ?? DEFAULT_UHID_PATH;
  return {
    path,
    description: `UHID FIDO device "${options.name ?? DEFAULT_UHID_NAME}" through ${path} (a /dev/hidraw node for every client on this machine)`,
    close: () => uhid.close(),
  };
}

export interface ServeUsbipOptions extends Ids {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3240; 0 picks a free port. */
  port?: number;
  /** Default "1-1". */
  busid?: string;
  /** The Filecoin app, exported as a second, Ledger-style HID device (busid 1-2, usage page 0xFFA0). */
  wallet?: ApduExchange;
  /** More devices exported by the same server. */
  extraDevices?: UsbipDeviceOptions[];
  onAttach?: () => void;
  onDetach?: () => void;
  onError?: (error: unknown) => void;
}

/** Exports the FIDO device over USB/IP. */
export async function serveUsbip(
  device: Device,
  options: ServeUsbipOptions = {},
): Promise<ServedTransport & { readonly address: { host: string; port: number }; readonly busid: string }> {
  const busid = options.busid ?? DEFAULT_USBIP_BUSID;
  let hid: CtapHidDevice | undefined;
  const server = await startUsbipServer({
    host: options.host ?? DEFAULT_USBIP_HOST,
    port: options.port ?? DEFAULT_USBIP_PORT,
    devices: [
      {
        busid,
        vendor: options.vendor ?? SOFTKEY_USB_VENDOR_ID,
        product: options.product ?? SOFTKEY_USB_PRODUCT_ID,
        bcdDevice: SOFTKEY_BCD_DEVICE,
        manufacturer: 'softkey',
        productName: options.name ?? SOFTKEY_PRODUCT_NAME,
        ...(options.serial !== undefined && { serial: options.serial }),
        reportDescriptor: FIDO_REPORT_DESCRIPTOR,
        onReport: (report) => hid?.receive(report),
        onAttach: () => {
          hid?.powerCycle(); // a fresh plug: no channels carried over from a previous attachment
          options.onAttach?.();
        },
        onDetach: () => {
          hid?.powerCycle();
          options.onDetach?.();
        },
      },
      ...(options.wallet ? [ledgerDevice(options.wallet, (report) => server.sendReport(WALLET_USBIP_BUSID, report), options.onError)] : []),
      ...(options.extraDevices ?? []),
    ],
    ...(options.onError && { onError: options.onError }),
  });
  hid = device.createHidDevice((report) => server.sendReport(busid, report));
  const where = formatHostPort(server.address);
  const portFlag = server.address.port === DEFAULT_USBIP_PORT ? '' : ` --tcp-port ${server.address.port}`;
  return {
    address: server.address,
    busid,
    description:
      `USB/IP on ${where}, busid ${busid} (attach: sudo modprobe vhci-hcd && sudo usbip${portFlag} attach -r ${server.address.host} -b ${busid})` +
      (options.wallet ? `; the Filecoin app is busid ${WALLET_USBIP_BUSID}` : ''),
    close: () => server.close(),
  };
}

/**
 * The Filecoin app as a USB HID device speaking Ledger's HID framing (channel, tag 0x05, sequence,
 * 64-byte reports): whole APDUs go to the app one at a time, answers go back on the host's channel.
 */
function ledgerDevice(app: ApduExchange, send: (report: Uint8Array) => void, onError?: (e: unknown) => void): UsbipDeviceOptions {
  const assembler = new HidAssembler();
  let queue: Promise<void> = Promise.resolve();
  return {
    busid: WALLET_USBIP_BUSID,
    vendor: LEDGER_USB_VENDOR_ID,
    product: LEDGER_USB_PRODUCT_ID,
    bcdDevice: SOFTKEY_BCD_DEVICE,
    manufacturer: 'softkey',
    productName: 'softkey Filecoin (Ledger-style)',
    reportDescriptor: LEDGER_REPORT_DESCRIPTOR,
    onReport: (report) => {
      const r = assembler.push(report);
      if (r.kind !== 'message') return; // need-more, or a malformed packet that resets the assembler
      queue = queue
        .then(() => app.exchange(r.message))
        .then((answer) => makeBlocks(r.channel, answer).forEach(send))
        .catch((e: unknown) => onError?.(e));
    },
  };
}

export interface ServeTcpHidOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 35962; 0 picks a free port. */
  port?: number;
  onConnect?: (connection: TcpHidConnection) => void;
  onDisconnect?: (connection: TcpHidConnection) => void;
  onError?: (error: unknown) => void;
}

/** Serves CTAPHID reports over TCP with pico-fido's emulation framing. */
export async function serveTcpHid(
  device: Pick<Device, 'createHidDevice'>, // the single-process device or the split front
  options: ServeTcpHidOptions = {},
): Promise<ServedTransport & { readonly address: { host: string; port: number } }> {
  let hid: CtapHidDevice | undefined;
  const server = await startTcpHidServer({
    host: options.host ?? DEFAULT_TCP_HID_HOST,
    port: options.port ?? DEFAULT_TCP_HID_PORT,
    onReport: (report) => hid?.receive(report),
    ...(options.onConnect && { onConnect: options.onConnect }),
    ...(options.onDisconnect && { onDisconnect: options.onDisconnect }),
    ...(options.onError && { onError: options.onError }),
  });
  hid = device.createHidDevice((report) => server.send(report));
  return {
    address: server.address,
    description: `CTAPHID over TCP (pico-fido emulation framing) on ${formatHostPort(server.address)}`,
    close: () => server.close(),
  };
}

export interface ServeWebSocketHidOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8112; 0 picks a free port. */
  port?: number;
  /** This run's secret (at least 16 characters); default a fresh random one. */
  token?: string;
  /** Web origins allowed to connect (a Node client sends no Origin); default none. */
  allowOrigins?: readonly string[];
  onRefused?: (reason: string) => void;
  onError?: (error: unknown) => void;
}

/** Serves CTAPHID reports over WebSocket (ws://HOST:PORT/ctaphid?token=…). */
export async function serveWebSocketHid(
  device: Device,
  options: ServeWebSocketHidOptions = {},
): Promise<ServedTransport & { readonly url: string; readonly address: { host: string; port: number } }> {
  let hid: CtapHidDevice | undefined;
  const server = await startWebSocketHidServer({
    host: options.host ?? DEFAULT_WEBSOCKET_HID_HOST,
    port: options.port ?? DEFAULT_WEBSOCKET_HID_PORT,
    token: options.token ?? b64u.encode(randomBytes(24)),
    ...(options.allowOrigins && { allowOrigins: options.allowOrigins }),
    onReport: (report) => hid?.receive(report),
    ...(options.onRefused && { onRefused: options.onRefused }),
    ...(options.onError && { onError: options.onError }),
  });
  hid = device.createHidDevice((report) => server.send(report));
  return {
    url: server.url,
    address: server.address,
    description: `CTAPHID over WebSocket on ${server.url} (connectSoftKey({ ws: url }))`,
    close: () => server.close(),
  };
}
