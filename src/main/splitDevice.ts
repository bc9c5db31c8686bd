/**
 * Composition of the front of `softkey start --split` (issue #6, seed 004): transports → CTAPHID →
 * CTAP2 dispatch → SplitAuthenticator, which talks to the secure core over a local stream. The
 * secure core process (`softkey secure-core`, started with the stream on its fd 3) is composed by
 * runSecureCore in splitCore.ts.
 */
import { defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import { Command } from '../ctap2/commands.js';
import { dispatchCtap2 } from '../ctap2/dispatch.js';
import type { CtapHidDevice, CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidError, CtapHidErrorCode } from '../ctaphid/constants.js';
import { Status } from '../ctap2/status.js';
import { decode as decodeCbor, type CborValue } from '../encoding/cbor.js';
import { ApduApplication, CREDENTIAL_ID_LENGTH } from '../securecore/messages.js';
import type { MessageHandler, TransactionContext } from '../ctaphid/handler.js';
import { startUdpDeviceTransport, type UdpDeviceTransport } from '../transport/udp.js';
import { formatHostPort, parseHostPort } from './address.js';
import { hidFront, NEVER_ABORTED, oneAtATime, type PowerCycleOptions } from './hidFront.js';
import type { PresenceMode } from './presence.js';
import { SplitAuthenticator } from './splitFront.js';
import { SecureCoreLink, spawnCore, type CoreCommand, type CoreConnection } from './splitLink.js';


/**
 * Commands the front answers with the seed and Ex messages (docs/split.md); every other command,
 * and these when the request needs what those messages do not carry, goes to the core's own
 * implementation as a whole (ctap2CommandRequest, 0x0113).
 */
const FRONT_COMMANDS = new Set<number>([
  Command.authenticatorMakeCredential,
  Command.authenticatorGetAssertion,
  Command.authenticatorReset,
  Command.authenticatorGetNextAssertion,
  Command.authenticatorSelection,
  Command.authenticatorClientPIN,
]);

/**
 * Whether a makeCredential/getAssertion needs the core's full implementation: extensions,
 * built-in UV (uv option), enterprise attestation, a discoverable credential with an RP name, or
 * a credential ID that is not one of the core's 16-byte handles. A request that does not decode is the front's to refuse.
 */
export function needsFullPath(request: Uint8Array): boolean {
  const command = request[0];
  if (command !== Command.authenticatorMakeCredential && command !== Command.authenticatorGetAssertion) return false;
  let params: CborValue;
  try {
    params = decodeCbor(request.subarray(1));
  } catch {
    return false;
  }
  if (!(params instanceof Map)) return false;
  const mc = command === Command.authenticatorMakeCredential;
  const [extensions, options, list] = mc ? [6, 7, 5] : [4, 5, 3];
  if (params.has(extensions) || (mc && params.has(10))) return true;
  const opts = params.get(options);
  if (opts instanceof Map && opts.get('uv') === true) return true;
  // A discoverable credential keeps its RP's name (§6.8.3 enumerateRPs); the seed's messages have no field for it.
  const rp = params.get(2);
  if (mc && opts instanceof Map && opts.get('rk') === true && rp instanceof Map && typeof rp.get('name') === 'string') return true;
  const descriptors = params.get(list);
  return Array.isArray(descriptors) && descriptors.some((d) => d instanceof Map && d.get('id') instanceof Uint8Array && (d.get('id') as Uint8Array).length !== CREDENTIAL_ID_LENGTH);
}

/** What the secure core is told on its command line (the front forwards its own flags). */
export interface SecureCoreSettings {
  dataDir: string;
  presence: PresenceMode;
  userActionTimeoutMs?: number;
  attestation?: AuthenticatorConfig['attestation'];
  /** --profile as given (a built-in name or a profile file); the core applies it, the front too. */
  profile?: string;
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
    ...(s.profile !== undefined ? ['--profile', s.profile] : []),
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
  /** An APDU for the Filecoin app in the core → its response (SW 0x6E00 when the core serves none, 0x6F00 when it fails). */
  filecoinApdu(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /** As Device.powerCycle: `keepChannels` for the UDP convention's magic reboot report. */
  powerCycle(options?: PowerCycleOptions): void;
  close(): void;
}

export function openSplitDevice(options: SplitDeviceOptions): SplitDevice {
  const start = typeof options.core === 'function' ? options.core : () => spawnCore(options.core as CoreCommand);
  const link = new SecureCoreLink(start);
  const authenticator = new SplitAuthenticator(link, defaultConfig(options.config));
  const onInternalError = options.onInternalError ?? ((e: unknown) => console.error('[softkey] internal error:', e));
  // With a profile, the core's implementation answers everything (its rules are there).
  const frontServes = authenticator.config.profile === 'default';
  let assertionsInCore = false; // the last getAssertion went to the core whole: so does getNextAssertion
  const run = async (request: Uint8Array, ctx: { signal: AbortSignal; setStatus: TransactionContext['setStatus'] }): Promise<Uint8Array> => {
    const command = request[0];
    if (command === undefined) return new Uint8Array([Status.CTAP1_ERR_INVALID_LENGTH]);
    const front =
      frontServes && FRONT_COMMANDS.has(command) && !(command === Command.authenticatorGetNextAssertion && assertionsInCore) && !needsFullPath(request);
    if (front) {
      const out = await dispatchCtap2(authenticator, request, ctx, { onInternalError });
      if (!authenticator.takeFullPath()) {
        if (command === Command.authenticatorGetAssertion) assertionsInCore = false;
        return out;
      }
    }
    if (command === Command.authenticatorGetAssertion) assertionsInCore = true;
    return authenticator.forward(request, ctx);
  };
  const handler: MessageHandler = {
    cbor: (request, ctx) => run(request, ctx),
    // CTAP1/U2F over CTAPHID_MSG: the APDU goes to the core, which holds the keys.
    msg: async (apdu, ctx) => {
      const answer = await authenticator.apdu(ApduApplication.u2f, apdu, ctx).catch(() => new Uint8Array([0x6f, 0x00])); // SW_UNKNOWN
      if (!answer) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CMD, 'U2F is not available');
      return answer;
    },
  };
  // NMSG only when the profile offers no CTAP1/U2F (the core answers it).
  const hid = hidFront({
    handler,
    offersU2f: () => authenticator.config.versions.includes('U2F_V2'),
    maxMessageSize: authenticator.config.maxMsgSize,
    onError: onInternalError,
    ...(options.trace && { trace: options.trace }),
  });
  return {
    authenticator,
    link,
    cbor: oneAtATime(run),
    async filecoinApdu(apdu, signal = NEVER_ABORTED) {
      try {
        return (await authenticator.apdu(ApduApplication.filecoin, apdu, { signal, setStatus: () => {} })) ?? new Uint8Array([0x6e, 0x00]);
      } catch {
        return new Uint8Array([0x6f, 0x00]);
      }
    },
    createHidDevice: (send) => hid.create(send),
    powerCycle(cycle) {
      void authenticator.powerCycle();
      hid.powerCycle(cycle);
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
      // The magic reboot report: the channels allocated before it stay valid (hidFront.ts).
      onPowerCycle: () => device.powerCycle({ keepChannels: true }),
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
