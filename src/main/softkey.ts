/**
 * The library entry points: `openSoftKey` runs a device in-process (sockets only when asked);
 * `connectSoftKey` talks to a running device over UDP, as any outside client would.
 */
import type { UserPresence, UserVerification } from '../authenticator/env.js';
import type { AuthenticatorConfig } from '../authenticator/config.js';
import { randomBytes } from '../crypto/aead.js';
import { CtapHidHost } from '../ctaphid/hostDevice.js';
import { connectUdpHost, startUdpDeviceTransport, type UdpDeviceTransport } from '../transport/udp.js';
import { formatHostPort, parseHostPort } from './address.js';
import { openDevice, type Device } from './device.js';
import { presenceFor, type PresenceMode } from './presence.js';

export interface CtapTransport {
  /** CTAP2 request (command ‖ CBOR) → response (status ‖ CBOR). */
  cbor(request: Uint8Array, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
}

export interface OpenSoftKeyOptions {
  /** Data directory; default ~/.softkey. ':memory:' keeps nothing. */
  dataDir?: string;
  /** 'auto' approves every prompt (tests), 'deny', 'timeout', 'prompt' (terminal), or your own port. */
  presence?: PresenceMode | UserPresence;
  /** How long a 'timeout'/'prompt' presence waits; default 30 s. */
  userActionTimeoutMs?: number;
  uv?: UserVerification;
  /** Serve CTAPHID over UDP on HOST:PORT (SoloKeys simulation convention). */
  udp?: string;
  /** Where UDP reports go; default 127.0.0.1:7112. */
  replyTo?: string;
  config?: Partial<AuthenticatorConfig>;
}

export interface SoftKey extends CtapTransport {
  readonly device: Device;
  /** Where the UDP transport listens, when asked for. */
  readonly udpAddress?: string;
  powerCycle(): void;
  close(): Promise<void>;
}

export async function openSoftKey(options: OpenSoftKeyOptions = {}): Promise<SoftKey> {
  const presence =
    typeof options.presence === 'object'
      ? options.presence
      : presenceFor(options.presence ?? 'auto', options.userActionTimeoutMs !== undefined ? { timeoutMs: options.userActionTimeoutMs } : {});
  const device = await openDevice({
    ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
    presence,
    ...(options.uv && { uv: options.uv }),
    ...(options.config && { config: options.config }),
  });
  let udp: UdpDeviceTransport | undefined;
  if (options.udp) {
    const listen = parseHostPort(options.udp, '--udp');
    const reply = options.replyTo ? parseHostPort(options.replyTo, '--reply-to') : undefined;
    let hid: ReturnType<Device['createHidDevice']> | undefined;
    udp = await startUdpDeviceTransport({
      host: listen.host,
      port: listen.port,
      ...(reply && { replyHost: reply.host, replyPort: reply.port }),
      onReport: (report) => hid?.receive(report),
      onPowerCycle: () => device.powerCycle(),
    });
    hid = device.createHidDevice((report) => udp!.send(report));
  }
  return {
    device,
    ...(udp && { udpAddress: formatHostPort({ host: udp.address.address, port: udp.address.port }) }),
    cbor: (request, opts) => device.cbor(request, opts),
    powerCycle: () => device.powerCycle(),
    async close() {
      await udp?.close();
      device.close();
    },
  };
}

export interface ConnectSoftKeyOptions {
  /** The device's UDP address; default 127.0.0.1:8111. */
  udp?: string;
  /** Our reply address (must be where the device sends); default 127.0.0.1:7112. */
  replyTo?: string;
  timeoutMs?: number;
}

export interface SoftKeyConnection extends CtapTransport {
  readonly hid: CtapHidHost;
  /** Sends the magic reboot report. */
  powerCycle(): void;
  close(): Promise<void>;
}

export async function connectSoftKey(options: ConnectSoftKeyOptions = {}): Promise<SoftKeyConnection> {
  const device = parseHostPort(options.udp ?? '127.0.0.1:8111', 'udp');
  const reply = parseHostPort(options.replyTo ?? '127.0.0.1:7112', 'replyTo');
  const pipe = await connectUdpHost({ deviceHost: device.host, devicePort: device.port, bindHost: reply.host, bindPort: reply.port });
  const hid = new CtapHidHost(pipe, { rng: randomBytes, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
  try {
    await hid.init();
  } catch (e) {
    await pipe.close();
    throw e;
  }
  return {
    hid,
    cbor: (request, opts) => hid.cbor(request, opts?.signal ? { signal: opts.signal } : {}),
    powerCycle: () => pipe.sendPowerCycle(),
    close: () => pipe.close(),
  };
}
