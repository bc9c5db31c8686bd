/**
 * Composition root of the FIDO device: store + vault → authenticator → CTAP2 dispatch →
 * CTAPHID → transports. The only place these layers meet (architecture.md).
 */
import { DEFAULT_DATA_DIR } from './defaults.js';
import { createAuthenticator, type Authenticator } from '../authenticator/authenticator.js';
import { commandPolicy, defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import { profileConfig, type ProfileSpec } from './profiles.js';
import type { Clock, Env, UserPresence, UserVerification } from '../authenticator/env.js';
import type { CredentialEventSink } from '../authenticator/credentialEvents.js';
import { randomBytes } from '../crypto/aead.js';
import { U2fAuthenticator, u2fOffered } from '../authenticator/u2f.js';
import { dispatchCtap1 } from '../ctap1/dispatch.js';
import { dispatchCtap2 } from '../ctap2/dispatch.js';
import type { CtapHidDevice, CtapHidTraceEvent } from '../ctaphid/channels.js';
import { CtapHidError, CtapHidErrorCode } from '../ctaphid/constants.js';
import type { MessageHandler, TransactionContext } from '../ctaphid/handler.js';
import { hidFront, oneAtATime, type Exchange, type PowerCycleOptions } from './hidFront.js';
import { MemoryStore, MemoryVault } from '../store/memoryStore.js';
import { openDataDir } from '../store/dataDir.js';
import { StoreError } from '../store/storeErrors.js';
import type { CredentialStore } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';

export { DEFAULT_DATA_DIR };
export { DEVICE_VERSION } from './hidFront.js';

export const systemClock: Clock = { now: () => Date.now() };
export const systemRng = { bytes: randomBytes };

export interface DeviceOptions {
  /** Data directory (SQLite + master key), or ':memory:' for a throwaway device. */
  dataDir?: string;
  presence: UserPresence;
  uv?: UserVerification;
  /** A device profile (profiles.ts): 'default', 'badge', 'ctap20', a JSON file's path, or a spec. */
  profile?: string | ProfileSpec;
  /** Overrides on top of the profile. */
  config?: Partial<AuthenticatorConfig>;
  onInternalError?: (error: unknown) => void;
  trace?: (event: CtapHidTraceEvent) => void;
  /** Fills a fresh store and vault before the authenticator starts (openSoftKey({ state })). */
  seed?: (store: CredentialStore, vault: Vault) => void;
  /** Per-credential events (control API). */
  credentialEvents?: CredentialEventSink;
  /** Wrappers around the CTAP2/CTAP1 exchanges and outgoing reports (faults and trace, control/deviceControl.ts). */
  interpose?: DeviceInterposer;
}

export interface DeviceInterposer {
  ctap2?(next: Exchange): Exchange;
  ctap1?(next: Exchange): Exchange;
  send?(send: (report: Uint8Array) => void): (report: Uint8Array) => void;
}

export interface Device {
  authenticator: Authenticator;
  store: CredentialStore;
  vault: Vault;
  /** CTAP2 request (command ‖ CBOR) → response (status ‖ CBOR), one at a time like a real device. */
  cbor(
    request: Uint8Array,
    opts?: { signal?: AbortSignal; setStatus?: TransactionContext['setStatus'] },
  ): Promise<Uint8Array>;
  /** A CTAPHID device (64-byte reports) sending its reports to `send`. */
  createHidDevice(send: (report: Uint8Array) => void): CtapHidDevice;
  /**
   * Drops volatile state in every layer, keeps credentials: a re-plug (channels forgotten), or with
   * `keepChannels` the UDP convention's magic reboot (channels allocated before it stay valid).
   */
  powerCycle(options?: PowerCycleOptions): void;
  close(): void;
}

export async function openDevice(options: DeviceOptions): Promise<Device> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const opened =
    dataDir === ':memory:'
      ? { store: new MemoryStore() as CredentialStore, vault: new MemoryVault() as Vault, close: () => {} }
      : openDataDir(dataDir);
  if (options.seed) {
    try {
      options.seed(opened.store, opened.vault);
    } catch (e) {
      opened.close();
      throw e;
    }
  }
  const env: Env = {
    clock: systemClock,
    rng: systemRng,
    presence: options.presence,
    store: opened.store,
    vault: opened.vault,
  };
  if (options.uv) env.uv = options.uv;
  if (options.credentialEvents) env.credentialEvents = options.credentialEvents;
  let authenticator: Authenticator;
  try {
    authenticator = await createAuthenticator(
      env,
      defaultConfig({ ...profileConfig(options.profile ?? 'default'), ...options.config }),
    );
  } catch (e) {
    opened.close(); // releases the data directory
    throw e;
  }
  // A store failure (damaged page, I/O error) is one line naming the file, not a stack trace per request.
  const onInternalError =
    options.onInternalError ??
    ((e: unknown) => console.error('[softkey] internal error:', e instanceof StoreError ? e.message : e));

  const u2f = new U2fAuthenticator(authenticator.core);
  // The profile's commands: enabled, refused (UNSUPPORTED_OPTION), or INVALID_COMMAND.
  const policy = commandPolicy(authenticator.core.config);
  const dispatchOptions = { onInternalError, ...policy };
  const dispatch: Exchange = (request, ctx) => dispatchCtap2(authenticator, request, ctx, dispatchOptions);

  const run = options.interpose?.ctap2?.(dispatch) ?? dispatch;
  // Unavailable U2F (profile without U2F_V2, or alwaysUv on): CTAPHID_MSG is ERR_INVALID_CMD.
  const dispatchMsg: Exchange = async (apdu, ctx) => {
    if (!u2f.available) throw new CtapHidError(CtapHidErrorCode.ERR_INVALID_CMD, 'U2F is disabled');
    return dispatchCtap1(u2f, apdu, ctx, { onInternalError });
  };
  const msg = options.interpose?.ctap1?.(dispatchMsg) ?? dispatchMsg;

  const handler: MessageHandler = {
    cbor: (request, ctx) => run(request, ctx),
    // CTAP1/U2F (CTAP 2.1 §11.2.9.1.1 CTAPHID_MSG), over the same Core as CTAP2.
    msg: (apdu, ctx) => msg(apdu, ctx),
  };

  const hid = hidFront({
    handler,
    offersU2f: () => u2fOffered(authenticator.core),
    maxMessageSize: authenticator.core.config.maxMsgSize,
    channels: authenticator.core.config.hidChannels,
    onError: onInternalError,
    ...(options.trace && { trace: options.trace }),
    ...(options.interpose?.send && { wrapSend: (send) => options.interpose!.send!(send) }),
  });

  return {
    authenticator,
    store: opened.store,
    vault: opened.vault,
    cbor: oneAtATime(run),
    createHidDevice: (send) => hid.create(send),
    powerCycle(cycle) {
      authenticator.powerCycle();
      hid.powerCycle(cycle);
    },
    close() {
      opened.close();
    },
  };
}
