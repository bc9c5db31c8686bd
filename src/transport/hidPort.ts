/**
 * The HID report port: what every HID transport (UDP, UHID, USB/IP, TCP HID, WebSocket) gives the
 * device. It is python-fido2's `CtapHidConnection` (read_packet / write_packet / close) turned
 * around: reports from the host arrive through `onReport`, reports to the host leave through `send`.
 * `main/hidFront.ts attachHid(front, port)` connects any port to any device front.
 *
 * Bytes in and out only: the port knows 64-byte reports, not CTAPHID.
 */
export interface HidReportPort {
  /** One line for the CLI: where the transport is and how a client reaches it. */
  readonly description: string;
  /** Sets the receiver of the host's 64-byte reports (one receiver; reports before it are dropped). */
  onReport: (receive: (report: Uint8Array) => void) => void;
  /** Sends one 64-byte report to the host. */
  send: (report: Uint8Array) => void;
  /**
   * The transport was re-plugged (USB/IP attach or detach, the kernel re-binding a UHID device):
   * the channels allocated over it are forgotten, as on hardware.
   */
  onReplug?: (handler: () => void) => void;
  /** The host asked the whole device to power-cycle (the UDP convention's magic reboot report). */
  onReboot?: (handler: () => void) => void;
  close: () => Promise<void>;
}

/** The callback half of a port: a transport delivers to it before and after a receiver is set. */
export interface PortEvents {
  report: (report: Uint8Array) => void;
  replug: () => void;
  reboot: () => void;
}

/**
 * Wires a transport's callbacks (given at start, before the port exists) to the port's receivers
 * (set later by attachHid): `events` go into the transport's options, `receivers` into the port.
 */
export function portEvents(): {
  events: PortEvents;
  receivers: Pick<Required<HidReportPort>, 'onReport' | 'onReplug' | 'onReboot'>;
} {
  let receive: ((report: Uint8Array) => void) | undefined;
  let replug: (() => void) | undefined;
  let reboot: (() => void) | undefined;
  return {
    events: {
      report: (report) => receive?.(report),
      replug: () => replug?.(),
      reboot: () => reboot?.(),
    },
    receivers: {
      onReport: (r) => void (receive = r),
      onReplug: (h) => void (replug = h),
      onReboot: (h) => void (reboot = h),
    },
  };
}

/** "HOST:PORT", with brackets around an IPv6 host. */
export const hostPort = (a: { host: string; port: number }): string =>
  a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
