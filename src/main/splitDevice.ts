/**
 * Composition of the front of `softkey start --split` (issue #6, seed 004): transports → CTAPHID →
 * CTAP2 dispatch → SplitAuthenticator, which talks to the secure core over a local stream. The
 * secure core process (`softkey secure-core`, started with the stream on its fd 3) is composed by
 * runSecureCore in splitCore.ts.
 */
import { defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import type { CtapHidDevice, CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidError, CtapHidErrorCode } from '../ctaphid/constants.js';
import { Status } from '../ctap2/status.js';
import { ApduApplication, PromptKind } from '../securecore/messages.js';
import type { PresenceBroker } from '../control/presence.js';
import type { MessageHandler, TransactionContext } from '../ctaphid/handler.js';
import { udpHidPort } from '../transport/udp.js';
import { formatHostPort, parseHostPort } from './address.js';
import { attachHid, hidFront, NEVER_ABORTED, oneAtATime, type PowerCycleOptions } from './hidFront.js';
import type { PresenceMode } from './presence.js';
import { SplitAuthenticator } from '../split/front/splitAuthenticator.js';
import {
  SecureCoreLink,
  spawnCore,
  type CoreCommand,
  type CoreConnection,
  type PromptScreen,
} from '../split/front/coreLink.js';

/** What the secure core is told on its command line (the front forwards its own flags). */
export interface SecureCoreSettings {
  dataDir: string;
  presence: PresenceMode;
  userActionTimeoutMs?: number;
  /** --reset-window-ms (resetWindow.ts): the core's authenticator answers authenticatorReset. */
  resetWindowMs?: number;
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
    ...(s.resetWindowMs !== undefined ? ['--reset-window-ms', String(s.resetWindowMs)] : []),
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
  /** Where the core's prompts appear (`--presence panel`: the front's presence broker, brokerScreen). */
  screen?: PromptScreen;
}

/**
 * The core's prompts on a presence broker, as the single-process device's prompts are: the panel
 * and the control API list them (RP, user, or the transaction's review items) and answer them; the
 * broker's mode and user-action timeout apply.
 */
export function brokerScreen(broker: PresenceBroker): PromptScreen {
  return {
    show(p, signal) {
      if (p.kind === PromptKind.review) return broker.review({ title: p.text, items: p.items }, signal);
      return broker.request(
        {
          operation: p.operation,
          message: p.text,
          ...(p.rpId && { rpId: p.rpId }),
          ...(p.rpName && { rpName: p.rpName }),
          ...(p.userName && { userName: p.userName }),
          ...(p.userDisplayName && { userDisplayName: p.userDisplayName }),
          ...(p.longTouch && { longTouch: true }),
        },
        signal,
      );
    },
  };
}

export interface SplitDevice {
  authenticator: SplitAuthenticator;
  link: SecureCoreLink;
  cbor(
    request: Uint8Array,
    opts?: { signal?: AbortSignal; setStatus?: TransactionContext['setStatus'] },
  ): Promise<Uint8Array>;
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
  link.screen = options.screen;
  const authenticator = new SplitAuthenticator(link, defaultConfig(options.config));
  const onInternalError = options.onInternalError ?? ((e: unknown) => console.error('[softkey] internal error:', e));
  const run = async (
    request: Uint8Array,
    ctx: { signal: AbortSignal; setStatus: TransactionContext['setStatus'] },
  ): Promise<Uint8Array> => {
    if (request.length === 0) return new Uint8Array([Status.CTAP1_ERR_INVALID_LENGTH]);
    return authenticator.cbor(request, ctx, onInternalError);
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
    // The front's view of the config (FrontConfig) carries no channel policy: split mode serves
    // CTAPHID_INIT-allocated channels only, whatever the profile says.
    channels: 'allocated',
    onError: onInternalError,
    ...(options.trace && { trace: options.trace }),
  });
  return {
    authenticator,
    link,
    cbor: oneAtATime(run),
    async filecoinApdu(apdu, signal = NEVER_ABORTED) {
      try {
        return (
          (await authenticator.apdu(ApduApplication.filecoin, apdu, { signal, setStatus: () => {} })) ??
          new Uint8Array([0x6e, 0x00])
        );
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
  let udp: Awaited<ReturnType<typeof udpHidPort>>;
  try {
    udp = attachHid(
      device,
      await udpHidPort({
        host: listen.host,
        port: listen.port,
        ...(reply && { replyHost: reply.host, replyPort: reply.port }),
      }),
    );
  } catch (e) {
    device.close();
    throw e;
  }
  try {
    await device.authenticator.ready();
  } catch (e) {
    await udp.close();
    device.close();
    throw new Error(`the secure core did not start: ${(e as Error).message}`, { cause: e });
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
