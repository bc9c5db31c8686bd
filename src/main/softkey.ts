/**
 * The library entry points: `openSoftKey` runs a device in-process (sockets only when asked);
 * `connectSoftKey` talks to a running device over UDP, as any outside client would.
 */
import type { UserPresence, UserVerification } from '../authenticator/env.js';
import type { AuthenticatorConfig } from '../authenticator/config.js';
import { setDevicePin } from '../authenticator/setDevicePin.js';
import { TESTING_TIMEOUTS } from '../client/ceremony.js';
import { WebAuthnClient, type WebAuthnClientOptions } from '../client/webauthnClient.js';
import type { AutofillAccount } from '../client/conditionalMediation.js';
import { randomBytes } from '../crypto/aead.js';
import { CtapHidHost, type HidReportPipe } from '../ctaphid/hostDevice.js';
import { connectUdpHost, udpHidPort } from '../transport/udp.js';
import { connectWebSocketHid } from '../transport/webSocketHid.js';
import { formatHostPort, parseHostPort } from './address.js';
import { DEFAULT_DATA_DIR, openDevice, type Device } from './device.js';
import { attachHid } from './hidFront.js';
import {
  importStoreState,
  isEmptyStore,
  KeyStateError,
  readKeyState,
  type KeyState,
  type SealedKeyState,
} from '../store/snapshot.js';
import { BUILT_IN_PROFILES, profileConfig, type ProfileSpec } from './profiles.js';
import { TerminalPresence, type PresenceMode } from '../control/presencePolicies.js';
import { prepareControl, traceWalletApp } from '../control/deviceControl.js';
import type { Controller } from '../control/controller.js';
import { CONTROL_KEY_CODECS } from './control.js';
import type { TransactionReview, WalletApp } from './wallet.js';

/** For the tools over main (artillery's pools). */
export { readKeyState } from '../store/snapshot.js';
import type { CtapTransport } from '../client/transport.js';
export type { CtapTransport };

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
  /** Device profile (profiles.ts): 'default', 'badge', 'ctap20', a profile .json file, or a spec. */
  profile?: string | ProfileSpec;
  /** Overrides on top of the profile. */
  config?: Partial<AuthenticatorConfig>;
  /** Attestation format (WebAuthn L3 §8; src/authenticator/attestation.ts), shorthand for config.attestation. */
  attestation?: AuthenticatorConfig['attestation'];
  /** AAGUID (16 bytes), shorthand for config.aaguid. */
  aaguid?: Uint8Array;
  /**
   * Options of `key.client` (its PIN, timeouts, account selection…). Its timeouts default to
   * TESTING_TIMEOUTS: the RP's options.timeout as given, as Chromium does with its virtual authenticator.
   */
  client?: WebAuthnClientOptions;
  /**
   * Start from a whole key exported by `key.exportState()` or `softkey state export` (the object, or
   * its JSON text): credentials, counters, PIN, large blobs, secrets. Without dataDir the key is in
   * memory; a dataDir must be empty (or new). Its saved profile and backup defaults apply unless given here.
   */
  state?: KeyState | SealedKeyState | string;
  /** The passphrase of a sealed `state`. */
  statePassphrase?: string;
  /**
   * Backup eligibility / backup state (WebAuthn L3 §6.1.3) of every new credential; per credential
   * through key.control.setCredential. Default false.
   */
  backupEligible?: boolean;
  backupState?: boolean;
  /** Record decoded traffic for `key.control.trace()` and the panel (costs time per exchange); default false. */
  trace?: boolean;
}

/**
 * The passkey autofill of `key.client` (WebAuthn L3 conditional mediation, client/conditionalMediation.ts)
 * on the control API: what a pending get({ mediation: 'conditional' }) offers, and the user's answer.
 */
export interface AutofillControl {
  /** The accounts the newest pending conditional request offers ([] when none waits). */
  autofill(): AutofillAccount[];
  /** The user picks this credential (base64url ID) in the autofill. */
  chooseAccount(credentialId: string): void;
  /** The user dismisses the autofill: that request fails with NotAllowedError. */
  dismiss(): void;
}

export interface SoftKey extends CtapTransport {
  /**
   * The device's parts (authenticator, store, vault, HID device factory), for softkey's own tests
   * and adapters. Not a stable API: use `client`, `control` and the CTAP transport instead.
   * @internal
   */
  readonly device: Device;
  /**
   * A WebAuthn client on this device (navigator.credentials semantics):
   * `await key.client.create(creationOptionsJSON, { origin })`, `await key.client.get(requestOptionsJSON, { origin })`,
   * `key.client.pin = '1234'` (or a callback), `await key.client.setPin('1234')`.
   */
  readonly client: WebAuthnClient;
  /** Where the UDP transport listens, when asked for. */
  readonly udpAddress?: string;
  powerCycle(): void;
  /**
   * The control API from Node (the same operations as `softkey ctl` and the HTTP API): presence
   * mode and prompts, UV simulation, credentials, counters and backup flags, reset, power cycle,
   * faults, trace. See src/control/controller.ts.
   */
  readonly control: Controller & AutofillControl;
  /** The presence policy as the Filecoin app's review screen (prompts appear in the panel too). */
  readonly review: TransactionReview;
  /**
   * The whole key as one JSON document (private keys included, which its `warning` member says), or
   * sealed with a passphrase (scrypt + AES-256-GCM). Give it back to openSoftKey({ state }).
   */
  exportState(options?: { passphrase?: string }): KeyState | SealedKeyState;
  /** Puts a Filecoin app's APDUs into the control trace. */
  traceWallet(app: WalletApp): WalletApp;
  /**
   * Sets the PIN on the device itself, as a badge's own keypad would (profiles whose PIN is not
   * settable over the wire); throws CtapError(CTAP2_ERR_PIN_POLICY_VIOLATION) for a PIN the policy refuses.
   */
  setDevicePin(pin: string): void;
  close(): Promise<void>;
}

/**
 * Opens a softkey device in this process: a FIDO2 authenticator (and Filecoin app) you can reach
 * through its WebAuthn client, raw CTAP2, the control API and, when asked, its transports.
 *
 * @example
 * ```ts
 * import { openSoftKey } from 'softkey';
 *
 * const key = await openSoftKey({ dataDir: ':memory:' });
 * const origin = 'https://example.com';
 * const created = await key.client.create(
 *   {
 *     rp: { id: 'example.com', name: 'Example' },
 *     user: { id: 'dXNlci0x', name: 'ada', displayName: 'Ada' },
 *     challenge: 'Y2hhbGxlbmdlLWZvci1yZWdpc3RyYXRpb24',
 *     pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
 *     authenticatorSelection: { residentKey: 'required' },
 *   },
 *   { origin },
 * );
 * const signedIn = await key.client.get({ rpId: 'example.com', challenge: 'c2lnbi1pbi1jaGFsbGVuZ2U' }, { origin });
 * if (signedIn.id !== created.id) throw new Error('the passkey just created should sign in');
 * await key.close();
 * ```
 */
export async function openSoftKey(options: OpenSoftKeyOptions = {}): Promise<SoftKey> {
  const state = options.state === undefined ? undefined : readKeyState(options.state, options.statePassphrase);
  const saved = state?.config ?? {};
  const profile =
    options.profile ??
    (typeof saved.profile === 'string' && BUILT_IN_PROFILES.has(saved.profile) ? saved.profile : undefined);
  const backup = {
    backupEligible: options.backupEligible ?? (saved.backupEligible === true || undefined),
    backupState: options.backupState ?? (saved.backupState === true || undefined),
  };
  if (backup.backupState && backup.backupEligible === false)
    throw new RangeError('backupState requires backupEligible');
  // Presence goes through the control API's broker, so modes can change and prompts be answered.
  const control = prepareControl({
    keys: CONTROL_KEY_CODECS,
    ...(typeof options.presence === 'object' ? { custom: options.presence } : { mode: options.presence ?? 'auto' }),
    ...(options.userActionTimeoutMs !== undefined && { timeoutMs: options.userActionTimeoutMs }),
    terminal: new TerminalPresence(process.stdin, process.stderr, options.userActionTimeoutMs),
  });
  control.trace.enabled = options.trace ?? false;
  // Platform profiles (passkey providers) verify the user with a built-in method: the panel's simulated sensor.
  const builtInUv = options.config?.alwaysBuiltInUv ?? profileConfig(profile ?? 'default').alwaysBuiltInUv;
  const uv = options.uv ?? (builtInUv ? control.presence.uv : undefined);
  // Addresses are checked before the data directory opens: a usage error needs no device.
  const listen = options.udp ? parseHostPort(options.udp, '--udp') : undefined;
  const reply = options.replyTo ? parseHostPort(options.replyTo, '--reply-to') : undefined;
  const device = await openDevice({
    dataDir: options.dataDir ?? (state ? ':memory:' : DEFAULT_DATA_DIR),
    presence: control.presence,
    interpose: control.interpose,
    trace: control.hidTrace,
    credentialEvents: control.credentialEvents,
    ...(uv && { uv }),
    ...(profile !== undefined && { profile }),
    config: {
      ...(backup.backupEligible !== undefined && {
        backupEligible: backup.backupEligible || backup.backupState === true,
      }),
      ...(backup.backupState !== undefined && { backupState: backup.backupState }),
      ...options.config,
      ...(options.attestation && { attestation: options.attestation }),
      ...(options.aaguid && { aaguid: options.aaguid }),
    },
    ...(state && {
      seed: (store, vault) => {
        if (!isEmptyStore(store, vault)) {
          throw new KeyStateError(
            `refusing to restore a key state over the key in ${options.dataDir}: it is not empty`,
          );
        }
        importStoreState(store, vault, state);
      },
    }),
  });
  const controller = control.attach(device);
  let udp: Awaited<ReturnType<typeof udpHidPort>> | undefined;
  if (listen) {
    try {
      // The magic reboot report is the port's onReboot: the channels allocated before it stay valid.
      udp = attachHid(
        device,
        await udpHidPort({
          host: listen.host,
          port: listen.port,
          ...(reply && { replyHost: reply.host, replyPort: reply.port }),
        }),
      );
    } catch (e) {
      device.close(); // releases the data directory
      throw e;
    }
  }
  const cbor: CtapTransport['cbor'] = (request, opts) => device.cbor(request, opts);
  // key.client tells the client-side wrong answers armed by key.control.override (client/wrongAnswers.ts).
  const client = new WebAuthnClient(
    { cbor },
    {
      wrongAnswers: (ceremony) => controller.takeClientWrongAnswers(ceremony),
      ...options.client,
      timeouts: { ...TESTING_TIMEOUTS, ...options.client?.timeouts },
    },
  );
  const autofill: AutofillControl = {
    autofill: () => client.autofill.offered(),
    chooseAccount: (id) => client.autofill.choose(id),
    dismiss: () => client.autofill.dismiss(),
  };
  return {
    device,
    control: Object.assign(controller, autofill),
    review: control.presence,
    exportState: (o) => controller.exportState(o),
    traceWallet: (app) => traceWalletApp(app, control.tracer),
    ...(udp && { udpAddress: formatHostPort({ host: udp.address.address, port: udp.address.port }) }),
    client,
    cbor,
    powerCycle: () => device.powerCycle(),
    setDevicePin: (pin) => setDevicePin(device.authenticator.core, pin),
    async close() {
      await udp?.close();
      device.close();
    },
  };
}

export interface ConnectSoftKeyOptions {
  /** The device's UDP address; default 127.0.0.1:8111. */
  udp?: string;
  /** A WebSocket CTAPHID URL printed by `softkey start --ws` (ws://HOST:PORT/ctaphid?token=…); replaces UDP. */
  ws?: string;
  /** Our reply address (must be where the device sends); default 127.0.0.1:7112. */
  replyTo?: string;
  timeoutMs?: number;
  /** How long to keep retrying while the device answers ERR_CHANNEL_BUSY (CtapHidHost); default 10 s, 0: never. */
  busyTimeoutMs?: number;
  /** Options of `connection.client`. */
  client?: WebAuthnClientOptions;
}

export interface SoftKeyConnection extends CtapTransport {
  readonly hid: CtapHidHost;
  /** A WebAuthn client over this connection (see SoftKey.client). */
  readonly client: WebAuthnClient;
  /** Sends the magic reboot report (UDP only; a no-op over WebSocket): volatile state dropped, this channel kept. */
  powerCycle(): void;
  close(): Promise<void>;
}

/**
 * Connects to a running softkey (`softkey start`, or `openSoftKey({ udp })`) over CTAPHID, as a
 * platform's FIDO stack would, and offers the same WebAuthn client over that connection.
 */
export async function connectSoftKey(options: ConnectSoftKeyOptions = {}): Promise<SoftKeyConnection> {
  const pipe = options.ws !== undefined ? await connectWebSocket(options.ws) : await connectUdp(options);
  const hid = new CtapHidHost(pipe, {
    rng: randomBytes,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
  });
  try {
    await hid.init();
  } catch (e) {
    await pipe.close();
    throw e;
  }
  const cbor: CtapTransport['cbor'] = (request, opts) => hid.cbor(request, opts?.signal ? { signal: opts.signal } : {});
  return {
    hid,
    client: new WebAuthnClient(
      { cbor },
      { ...options.client, timeouts: { ...TESTING_TIMEOUTS, ...options.client?.timeouts } },
    ),
    cbor,
    powerCycle: () => pipe.sendPowerCycle(),
    close: () => pipe.close(),
  };
}

type HostPipe = HidReportPipe & { sendPowerCycle(): void; close(): Promise<void> };

async function connectUdp(options: ConnectSoftKeyOptions): Promise<HostPipe> {
  const device = parseHostPort(options.udp ?? '127.0.0.1:8111', 'udp');
  const reply = parseHostPort(options.replyTo ?? '127.0.0.1:7112', 'replyTo');
  return connectUdpHost({
    deviceHost: device.host,
    devicePort: device.port,
    bindHost: reply.host,
    bindPort: reply.port,
  });
}

async function connectWebSocket(url: string): Promise<HostPipe> {
  const client = await connectWebSocketHid(url);
  return {
    send: (r) => client.send(r),
    onReport: (cb) => client.onReport(cb),
    sendPowerCycle: () => {},
    close: () => client.close(),
  };
}
