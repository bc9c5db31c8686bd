/**
 * Composition root of the FIDO device: store + vault → authenticator → CTAP2 dispatch →
 * CTAPHID → transports. The only place these layers meet (architecture.md).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator, type Authenticator } from '../authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import type { Clock, Env, UserPresence, UserVerification } from '../authenticator/env.js';
import { randomBytes } from '../crypto/aead.js';
import { dispatchCtap2 } from '../ctap2/dispatch.js';
import { CtapHidDevice, type CtapHidTraceEvent } from '../ctaphid/channels.js';
import { realScheduler, type MessageHandler, type TransactionContext } from '../ctaphid/handler.js';
import { MemoryStore, MemoryVault } from '../store/memoryStore.js';
import { openDataDir } from '../store/dataDir.js';
import type { CredentialStore } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';

export const DEFAULT_DATA_DIR = join(homedir(), '.softkey');
export const DEVICE_VERSION = [0, 1, 0] as const;

const NEVER_ABORTED = new AbortController().signal;

export const systemClock: Clock = { now: () => Date.now() };
export const systemRng = { bytes: randomBytes };

export interface DeviceOptions {
  /** Data directory (SQLite + master key), or ':memory:' for a throwaway device. */
  dataDir?: string;
  presence: UserPresence;
  uv?: UserVerification;
  config?: Partial<AuthenticatorConfig>;
  onInternalError?: (error: unknown) => void;
  trace?: (event: CtapHidTraceEvent) => void;
}

export interface Device {
  authenticator: Authenticator;
  store: CredentialStore;
  vault: Vault;
  /** CTAP2 request (command ‖ CBOR) → response (status ‖ CBOR), one at a time like a real device. */
  cbor(request: Uint8Array, opts?: { signal?: AbortSignal; setStatus?: TransactionContext['setStatus'] }): Promise<Uint8Array>;
  /** A CTAPHID device (64-byte reports) sending its reports to `send`. */
  createHidDevice(send: (report: Uint8Array) => void): CtapHidDevice;
  /** Drops volatile state in every layer, keeps credentials: a re-plug. */
  powerCycle(): void;
  close(): void;
}

export async function openDevice(options: DeviceOptions): Promise<Device> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const opened =
    dataDir === ':memory:'
      ? { store: new MemoryStore() as CredentialStore, vault: new MemoryVault() as Vault, close: () => {} }
      : openDataDir(dataDir);
  const env: Env = { clock: systemClock, rng: systemRng, presence: options.presence, store: opened.store, vault: opened.vault };
  if (options.uv) env.uv = options.uv;
  const authenticator = await createAuthenticator(env, defaultConfig(options.config));
  const hidDevices = new Set<CtapHidDevice>();
  const onInternalError = options.onInternalError ?? ((e: unknown) => console.error('[softkey] internal error:', e));

  let queue: Promise<unknown> = Promise.resolve();
  const run = (request: Uint8Array, ctx: { signal: AbortSignal; setStatus: TransactionContext['setStatus'] }) =>
    dispatchCtap2(authenticator, request, ctx, { onInternalError });

  const handler: MessageHandler = {
    cbor: (request, ctx) => run(request, ctx),
    // CTAP1/U2F arrives with the CTAP 2.1 surface; until then every APDU is SW_INS_NOT_SUPPORTED.
    msg: async () => new Uint8Array([0x6d, 0x00]),
  };

  return {
    authenticator,
    store: opened.store,
    vault: opened.vault,
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
        onError: onInternalError,
        ...(options.trace && { trace: options.trace }),
      });
      hidDevices.add(hid);
      return hid;
    },
    powerCycle() {
      authenticator.powerCycle();
      for (const hid of hidDevices) hid.powerCycle();
    },
    close() {
      opened.close();
    },
  };
}
