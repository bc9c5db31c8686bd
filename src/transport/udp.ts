/**
 * UDP transport, SoloKeys simulation convention (solo1 `udp_bridge`, python-fido2's
 * `fido2.hid` simulation backends): the device listens on 127.0.0.1:8111 and sends every report
 * to a fixed reply address, 127.0.0.1:7112. One datagram carries one raw 64-byte HID report,
 * with no report-ID byte. Datagrams of any other size are dropped. The 64-byte "magic reboot"
 * report is not a report but a power-cycle request.
 *
 * Bytes in and out only: no protocol logic here.
 */
import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { equal, fromHex } from '../encoding/bytes.js';
import { hostPort, portEvents, type HidReportPort } from './hidPort.js';

export const UDP_REPORT_SIZE = 64;
export const DEFAULT_DEVICE_HOST = '127.0.0.1';
export const DEFAULT_DEVICE_PORT = 8111;
export const DEFAULT_REPLY_HOST = '127.0.0.1';
export const DEFAULT_REPLY_PORT = 7112;

/** The solo simulation's reboot datagram (power-cycles the device instead of being delivered). */
export const MAGIC_REBOOT_REPORT: Uint8Array = fromHex(
  'ac1052ca95e569de69e02ebff333485f13f9b2da34c5a8a340526697a9ab2e0b' +
    '394d8d04973c134005be1a0140bff6045bb26eb77a73eaa47813f6b49a7250dc',
);

export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

export interface UdpDeviceTransportOptions {
  /** Address the device socket binds; default 127.0.0.1. */
  host?: string;
  /** Port the device socket binds; default 8111 (0 picks a free port). */
  port?: number;
  /** Where every report is sent; default 127.0.0.1:7112. */
  replyHost?: string;
  replyPort?: number;
  /** One 64-byte report from the host. */
  onReport: (report: Uint8Array) => void;
  /** The magic reboot datagram arrived. */
  onPowerCycle?: () => void;
  /** Socket errors after binding and exceptions from the callbacks; default: console.error. */
  onError?: (error: unknown) => void;
}

export interface UdpDeviceTransport {
  /** Sends one 64-byte report to the reply address. */
  send(report: Uint8Array): void;
  /** The bound address of the device socket. */
  readonly address: UdpAddress;
  /** The current reply address. */
  readonly replyAddress: UdpAddress;
  /** Changes the reply address (e.g. to a client bound to an ephemeral port). */
  setReplyAddress(host: string, port: number): void;
  close(): Promise<void>;
}

export interface UdpHostTransportOptions {
  /** Where the device listens; default 127.0.0.1:8111. */
  deviceHost?: string;
  devicePort?: number;
  /**
   * Address our socket binds; it must be the device's reply address, default 127.0.0.1:7112.
   * Port 0 picks a free port (then tell the device with setReplyAddress).
   */
  bindHost?: string;
  bindPort?: number;
  onError?: (error: unknown) => void;
}

export interface UdpHostTransport {
  /** Sends one 64-byte report to the device. */
  send(report: Uint8Array): void;
  /** Registers a listener for 64-byte reports from the device; returns a function that removes it. */
  onReport(callback: (report: Uint8Array) => void): () => void;
  /** Sends the magic reboot datagram. */
  sendPowerCycle(): void;
  /** The bound address of our socket. */
  readonly address: UdpAddress;
  close(): Promise<void>;
}

const defaultOnError = (error: unknown) => console.error('[udp]', error);

/**
 * The sockets' address lookup: an IP literal (what the reply and device addresses almost always are)
 * answers at once, a name goes to dns.lookup. Node's default runs dns.lookup for every datagram,
 * which answers an IP literal one tick later, after a regular-expression test: per 64-byte report.
 */
const literals = new Map<string, number>();
function lookup(
  host: string,
  family: number | object,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  let ipFamily = literals.get(host);
  if (ipFamily === undefined) {
    ipFamily = isIP(host);
    if (ipFamily !== 0 && literals.size < 64) literals.set(host, ipFamily);
  }
  if (ipFamily !== 0) callback(null, host, ipFamily);
  else dnsLookup(host, family as number, callback);
}

function bind(socket: dgram.Socket, port: number, host: string): Promise<UdpAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      const { address, port: boundPort } = socket.address();
      resolve({ address, port: boundPort });
    });
  });
}

function closeSocket(socket: dgram.Socket, state: { closed: boolean }): Promise<void> {
  if (state.closed) return Promise.resolve();
  state.closed = true;
  return new Promise((resolve) => socket.close(() => resolve()));
}

function sendDatagram(
  socket: dgram.Socket,
  state: { closed: boolean },
  report: Uint8Array,
  port: number,
  host: string,
): void {
  if (!(report instanceof Uint8Array) || report.length !== UDP_REPORT_SIZE) {
    throw new RangeError(`a UDP report must be ${UDP_REPORT_SIZE} bytes`);
  }
  if (state.closed) return;
  // Copy: the caller may reuse its buffer before the send completes. No callback: a failed send is
  // emitted as the socket's 'error' event, which goes to onError (a callback costs a tick per report).
  socket.send(Buffer.from(report), port, host);
}

/** A datagram's bytes as a Uint8Array without a copy (each received datagram has a Buffer of its own). */
const view = (msg: Buffer): Uint8Array => new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);

/** Starts the device side: binds host:port and replies to replyHost:replyPort. */
export async function startUdpDeviceTransport(options: UdpDeviceTransportOptions): Promise<UdpDeviceTransport> {
  const host = options.host ?? DEFAULT_DEVICE_HOST;
  const port = options.port ?? DEFAULT_DEVICE_PORT;
  let replyHost = options.replyHost ?? DEFAULT_REPLY_HOST;
  let replyPort = options.replyPort ?? DEFAULT_REPLY_PORT;
  const onError = options.onError ?? defaultOnError;
  const state = { closed: false };

  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', lookup });
  const address = await bind(socket, port, host);
  socket.on('error', onError);
  socket.on('message', (msg) => {
    if (msg.length !== UDP_REPORT_SIZE) return;
    const report = view(msg);
    try {
      if (equal(report, MAGIC_REBOOT_REPORT)) options.onPowerCycle?.();
      else options.onReport(report);
    } catch (error) {
      onError(error);
    }
  });

  return {
    send: (report) => sendDatagram(socket, state, report, replyPort, replyHost),
    address,
    get replyAddress() {
      return { address: replyHost, port: replyPort };
    },
    setReplyAddress(newHost, newPort) {
      replyHost = newHost;
      replyPort = newPort;
    },
    close: () => closeSocket(socket, state),
  };
}

/** The device side as a HID report port (hidPort.ts): the magic reboot report is its onReboot. */
export async function udpHidPort(
  options: Omit<UdpDeviceTransportOptions, 'onReport' | 'onPowerCycle'> = {},
): Promise<HidReportPort & Pick<UdpDeviceTransport, 'address' | 'replyAddress' | 'setReplyAddress'>> {
  const { events, receivers } = portEvents();
  const udp = await startUdpDeviceTransport({ ...options, onReport: events.report, onPowerCycle: events.reboot });
  const where = hostPort({ host: udp.address.address, port: udp.address.port });
  const reply = udp.replyAddress;
  return {
    description: `CTAPHID over UDP listening on ${where}, replying to ${hostPort({ host: reply.address, port: reply.port })}`,
    onReport: receivers.onReport,
    onReboot: receivers.onReboot,
    send: (report) => udp.send(report),
    address: udp.address,
    get replyAddress() {
      return udp.replyAddress;
    },
    setReplyAddress: (host, port) => udp.setReplyAddress(host, port),
    close: () => udp.close(),
  };
}

/** Starts the host side: binds bindHost:bindPort (the device's reply address) and sends to the device. */
export async function connectUdpHost(options: UdpHostTransportOptions = {}): Promise<UdpHostTransport> {
  const deviceHost = options.deviceHost ?? DEFAULT_DEVICE_HOST;
  const devicePort = options.devicePort ?? DEFAULT_DEVICE_PORT;
  const bindHost = options.bindHost ?? DEFAULT_REPLY_HOST;
  const bindPort = options.bindPort ?? DEFAULT_REPLY_PORT;
  const onError = options.onError ?? defaultOnError;
  const state = { closed: false };
  const listeners = new Set<(report: Uint8Array) => void>();

  const socket = dgram.createSocket({ type: bindHost.includes(':') ? 'udp6' : 'udp4', lookup });
  const address = await bind(socket, bindPort, bindHost);
  socket.on('error', onError);
  socket.on('message', (msg) => {
    if (msg.length !== UDP_REPORT_SIZE) return;
    // One listener (the usual case) gets a view; several get a copy each, as one may change its bytes.
    const single = listeners.size === 1;
    for (const listener of single ? listeners : [...listeners]) {
      try {
        listener(single ? view(msg) : new Uint8Array(msg));
      } catch (error) {
        onError(error);
      }
    }
  });

  return {
    send: (report) => sendDatagram(socket, state, report, devicePort, deviceHost),
    onReport(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    sendPowerCycle: () => sendDatagram(socket, state, MAGIC_REBOOT_REPORT, devicePort, deviceHost),
    address,
    close: () => closeSocket(socket, state),
  };
}
