/**
 * The HID transports `softkey start` offers besides UDP, as one table: each row is a flag of
 * `softkey start` (with or without --split) and opens a HID report port (transport/hidPort.ts)
 * that attachHid (hidFront.ts) connects to the device front. Adding a transport is its file in
 * src/transport/ (a function returning a HidReportPort) and one row here.
 *
 *   --uhid      Linux /dev/uhid: the kernel creates a hidraw FIDO device (browsers, libfido2, ssh)
 *   --usbip     a USB/IP server: `usbip attach` plugs a USB FIDO key into Linux or Windows
 *   --tcp-hid   pico-fido's emulation framing (u16 BE length ‖ report) on TCP, for python-fido2
 *   --ws        one report per binary WebSocket message, behind a per-run token
 */
import { randomBytes } from '../crypto/aead.js';
import * as b64u from '../encoding/base64url.js';
import type { HidReportPort } from '../transport/hidPort.js';
import {
  ledgerDevice,
  softkeyUhidDevice,
  softkeyUsbipDevice,
  WALLET_USBIP_BUSID,
  type ApduExchange,
} from '../transport/softkeyUsbDevices.js';
import { tcpHidPort } from '../transport/tcpHid.js';
import { uhidPort } from '../transport/uhid.js';
import { usbipHidPort } from '../transport/usbip.js';
import { webSocketHidPort } from '../transport/webSocketHid.js';
import { parseHostPort, type HostPort } from './address.js';
import { attachHid, DEVICE_VERSION, type HidFront } from './hidFront.js';
import { listenFor } from './listenErrors.js';

/** The CTAPHID device version (hidFront.ts) as USB's bcdDevice: 0.1.0 is 0x0010. */
export const SOFTKEY_BCD_DEVICE = (DEVICE_VERSION[0] << 8) | (DEVICE_VERSION[1] << 4) | DEVICE_VERSION[2];

/** What a device offers the transports besides CTAPHID: the Filecoin app (USB/IP's second device). */
export interface TransportOffer {
  wallet?: ApduExchange;
}

/** One row of the table: a `softkey start` flag and the port it opens. */
export interface HidTransport {
  /** The flag, without its dashes. */
  readonly flag: string;
  /** HOST:PORT taken when the flag has no value; none: the flag takes no value. */
  readonly defaultAddress?: string;
  /** The flag's line in `softkey --help` (after the flag and its argument). */
  readonly help: string;
  open(address: HostPort | undefined, offer: TransportOffer): Promise<HidReportPort>;
}

export const HID_TRANSPORTS: readonly HidTransport[] = [
  {
    flag: 'uhid',
    help: 'appear as a USB HID security key through Linux /dev/uhid',
    open: () => uhidPort(softkeyUhidDevice({ bcdDevice: SOFTKEY_BCD_DEVICE })),
  },
  {
    flag: 'usbip',
    defaultAddress: '127.0.0.1:3240',
    help: 'export over USB/IP (default 127.0.0.1:3240)',
    open: (address, offer) => usbipWithWallet({ ...address }, offer.wallet),
  },
  {
    flag: 'tcp-hid',
    defaultAddress: '127.0.0.1:35962',
    help: 'CTAPHID over TCP, 2-byte length framing (default 127.0.0.1:35962)',
    open: (address) => tcpHidPort({ ...address }),
  },
  {
    flag: 'ws',
    defaultAddress: '127.0.0.1:8112',
    help:
      'CTAPHID over WebSocket, one report per message, with a per-run token\n' +
      '                                   (default 127.0.0.1:8112; the URL to give connectSoftKey is printed)',
    open: (address) => webSocketHidPort({ ...address, token: b64u.encode(randomBytes(24)) }),
  },
];

/** The row of `flag`. */
export function hidTransport(flag: string): HidTransport {
  const row = HID_TRANSPORTS.find((t) => t.flag === flag);
  if (!row) throw new RangeError(`no HID transport --${flag}`);
  return row;
}

/** The table's flags for node:util parseArgs. */
export function hidTransportFlags(): Record<string, { type: 'boolean' | 'string' }> {
  return Object.fromEntries(
    HID_TRANSPORTS.map((t) => [t.flag, { type: t.defaultAddress === undefined ? 'boolean' : 'string' }]),
  );
}

/** `--flag` → its default HOST:PORT, for flags whose value may be left out. */
export function hidTransportDefaults(): Record<string, string> {
  return Object.fromEntries(
    HID_TRANSPORTS.filter((t) => t.defaultAddress !== undefined).map((t) => [`--${t.flag}`, t.defaultAddress!]),
  );
}

/** The help lines of the table's flags. */
export function hidTransportHelp(): string {
  return HID_TRANSPORTS.map(
    (t) => `      ${`--${t.flag}${t.defaultAddress === undefined ? '' : ' [HOST:PORT]'}`.padEnd(29)}${t.help}`,
  ).join('\n');
}

/** The transports a command line asks for, with their addresses: checked before anything starts. */
export type HidTransportPlan = ReadonlyArray<{ transport: HidTransport; address: HostPort | undefined }>;

/** Reads parsed `values` (flag → true or HOST:PORT); a bad address is a UsageError naming its flag. */
export function planHidTransports(values: Record<string, unknown>): HidTransportPlan {
  return HID_TRANSPORTS.filter((t) => values[t.flag] !== undefined && values[t.flag] !== false).map((transport) => ({
    transport,
    address:
      transport.defaultAddress === undefined
        ? undefined
        : parseHostPort(String(values[transport.flag]), `--${transport.flag}`),
  }));
}

/**
 * Opens the planned ports and attaches each to `front`. A listener that cannot start names its
 * flag (listenErrors.ts), and the ports already open are closed.
 */
export async function openHidTransports(
  front: HidFront,
  plan: HidTransportPlan,
  offer: TransportOffer = {},
): Promise<HidReportPort[]> {
  const opened: HidReportPort[] = [];
  try {
    for (const { transport, address } of plan)
      opened.push(attachHid(front, await listenFor(`--${transport.flag}`, () => transport.open(address, offer))));
  } catch (e) {
    for (const port of opened) await port.close();
    throw e;
  }
  return opened;
}

/** USB/IP exporting the FIDO device and, with a wallet, the Filecoin app as a second device (busid 1-2). */
async function usbipWithWallet(address: Partial<HostPort>, wallet?: ApduExchange): Promise<HidReportPort> {
  let send: (report: Uint8Array) => void = () => {};
  const port = await usbipHidPort({
    ...address,
    device: softkeyUsbipDevice({ bcdDevice: SOFTKEY_BCD_DEVICE }),
    ...(wallet && {
      extraDevices: [ledgerDevice(wallet, (report) => send(report), { bcdDevice: SOFTKEY_BCD_DEVICE })],
    }),
  });
  send = (report) => port.server.sendReport(WALLET_USBIP_BUSID, report);
  return wallet
    ? { ...port, description: `${port.description}; the Filecoin app is busid ${WALLET_USBIP_BUSID}` }
    : port;
}
