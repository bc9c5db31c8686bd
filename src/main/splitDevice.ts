/**
 * Composition of the front of `softkey start --split` (issue #6, seed 004): transports → CTAPHID →
 * CTAP2 dispatch → SplitAuthenticator, which talks to the secure core over a local stream. The
 * secure core process (`softkey secure-core`, started with the stream on its fd 3) is composed by
 * runSecureCore in splitCore.ts.
 */
import { defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import { randomBytes } from '../crypto/aead.js';
import { Command } from '../ctap2/commands.js';
import { dispatchCtap2 } from '../ctap2/dispatch.js';
import { CtapHidDevice, type CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidCapability } from '../ctaphid/constants.js';
import { realScheduler, type MessageHandler, type TransactionContext } from '../ctaphid/handler.js';
import { startUdpDeviceTransport, type UdpDeviceTransport } from '../transport/udp.js';
import { formatHostPort, parseHostPort } from './address.js';
import { DEVICE_VERSION } from './device.js';
import type { PresenceMode } from './presence.js';
import { SplitAuthenticator } from './splitFront.js';
import { SecureCoreLink, spawnCore, type CoreCommand, type CoreConnection } from './splitLink.js';

const NEVER_ABORTED = new AbortController().signal;

/** Commands a split device answers; the others are CTAP1_ERR_INVALID_COMMAND (docs/split.md). */
const SPLIT_COMMANDS = new Set<number>([
  Command.authenticatorMakeCredential,
  Command.authenticatorGetAssertion,
  Command.authenticatorGetInfo,
  Command.authenticatorReset,
  Command.authenticatorGetNextAssertion,
  Command.authenticatorSelection,
  Command.authenticatorClientPIN,
]);

/** What the secure core is told on its command line (the front forwards its own flags). */
export interface SecureCoreSettings {
  dataDir: string;
  presence: PresenceMode;
  userActionTimeoutMs?: number;
  attestation?: AuthenticatorConfig['attestation'];
}

export function secureCoreArgs(s: SecureCoreSettings): string[] {
  return [
    'secure-core',
    '--data-dir',
    s.dataDir,
    '--presence',
    s.presence,
    ...(s.userActionTimeoutMs !== undefined ? ['--presence-timeout', String(s.userActionTimeoutMs)] : []),
    ...(s.attestation ? ['--attestation', s.attestation] : []),
  ];
}

/** `node [its flags, e.g. --import tsx] <this program> secure-core …`: the same build as the front. */
export function secureCoreCommand(s: SecureCoreSettings, entry = process.argv[1]!): CoreCommand {
  return { command: process.execPath, args: [...process.execArgv, entry, ...secureCoreArgs(s)] };
}

export interface SplitDeviceOptions {
  /** How to start (and restart) the secure core. */
  core: CoreCommand | (() => CoreConnection);
  /** The front's view of the device (AAGUID, algorithms, …); the core gets the same from its flags. */
  config?: Partial<AuthenticatorConfig>;
  onInternalError?: (error: unknown) => void;
  trace?: (event: CtapHidTraceEvent) => void;
}

export interface SplitDevice {
  authenticator: SplitAuthenticator;
  link: SecureCoreLink;
  cbor(request: Uint8Array, opts?: { signal?: AbortSignal; setStatus?: TransactionContext['setStatus'] }): Promise<Uint8Array>;
  createHidDevice(send: (report: Uint8Array) => void): CtapHidDevice;
  powerCycle(): void;
  close(): void;
}

export function openSplitDevice(options: SplitDeviceOptions): SplitDevice {
  const start = typeof options.core === 'function' ? options.core : () => spawnCore(options.core as CoreCommand);
  const link = new SecureCoreLink(start);
  const authenticator = new SplitAuthenticator(link, defaultConfig(options.config));
  const onInternalError = options.onInternalError ?? ((e: unknown) => console.error('[softkey] internal error:', e));
  const hidDevices = new Set<CtapHidDevice>();
  let queue: Promise<unknown> = Promise.resolve();
  const run = (request: Uint8Array, ctx: { signal: AbortSignal; setStatus: TransactionContext['setStatus'] }) =>
    dispatchCtap2(authenticator, request, ctx, { onInternalError, enabled: (c) => SPLIT_COMMANDS.has(c) });
  const handler: MessageHandler = {
    cbor: (request, ctx) => run(request, ctx),
    msg: async () => new Uint8Array([0x6d, 0x00]), // no CTAP1/U2F in split mode: SW_INS_NOT_SUPPORTED
  };
  return {
    authenticator,
    link,
    cbor(request, opts = {}) {
      const ctx = { signal: opts.signal ?? NEVER_ABORTED, setStatus: opts.setStatus ?? (() => {}) };
      const result = queue.then(() => run(request, ctx));
      queue = result.catch(() => undefined);
      return result;
    },
    createHidDevice(send) {
      const hid = new CtapHidDevice({
        handler,
        send,
        scheduler: realScheduler,
        rng: randomBytes,
        deviceVersion: DEVICE_VERSION,
        // No CTAP1/U2F in split mode: INIT says so with NMSG (CTAP 2.1 §11.2.9.1.3).
        capabilities: CtapHidCapability.CAPABILITY_WINK | CtapHidCapability.CAPABILITY_CBOR | CtapHidCapability.CAPABILITY_NMSG,
        onError: onInternalError,
        ...(options.trace && { trace: options.trace }),
      });
      hidDevices.add(hid);
      return hid;
    },
    powerCycle() {
      void authenticator.powerCycle();
      for (const hid of hidDevices) hid.powerCycle();
    },
    close() {
      link.close();
    },
  };
}

/** A split device with the UDP transport (SoloKeys convention), as `softkey start --split` runs it. */
export async function openSplitSoftKey(options: SplitDeviceOptions & { udp: string; replyTo?: string }): Promise<{
  device: SplitDevice;
  udpAddress: string;
  close(): Promise<void>;
}> {
  const device = openSplitDevice(options);
  const listen = parseHostPort(options.udp, '--udp');
  const reply = options.replyTo ? parseHostPort(options.replyTo, '--reply-to') : undefined;
  let hid: CtapHidDevice | undefined;
  let udp: UdpDeviceTransport;
  try {
    udp = await startUdpDeviceTransport({
      host: listen.host,
      port: listen.port,
      ...(reply && { replyHost: reply.host, replyPort: reply.port }),
      onReport: (report) => hid?.receive(report),
      onPowerCycle: () => device.powerCycle(),
    });
  } catch (e) {
    device.close();
    throw e;
  }
  hid = device.createHidDevice((report) => udp.send(report));
  try {
    await device.authenticator.ready();
  } catch (e) {
    await udp.close();
    device.close();
    throw new Error(`the secure core did not start: ${(e as Error).message}`);
  }
  return {
    device,
    udpAddress: formatHostPort({ host: udp.address.address, port: udp.address.port }),
    async close() {
      await udp.close();
      device.close();
    },
  };
}
