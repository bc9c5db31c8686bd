/**
 * The control API around a device (composed by main/softkey.ts): the presence broker as the
 * device's UserPresence, faults (faultInjection.ts) and trace (traceDecoding.ts) interposed around
 * its CTAP2/CTAP1 exchanges and HID reports, and the Controller over its core, store and vault.
 */
import type { UserPresence } from '../authenticator/env.js';
import type { CredentialEventSink } from '../authenticator/credentialEvents.js';
import type { Core } from '../authenticator/core.js';
import { Command, commandName } from '../ctap2/commands.js';
import { Status, statusName } from '../ctap2/status.js';
import type { CtapHidTraceEvent } from '../ctaphid/channels.js';
import type { CredentialStore } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';
import type { WalletApp } from '../wallet/dispatcher.js';
import { Controller, type ControlledDevice } from './controller.js';
import { faultyCtap1, faultyCtap2, faultySend } from './faultInjection.js';
import { Faults } from './faults.js';
import { PresenceBroker, type PresenceMode } from './presence.js';
import { TraceLog } from './trace.js';
import { Tracer } from './traceDecoding.js';

/** Commands after which the credential list (or PIN state) may have changed. */
const CHANGES_CREDENTIALS = new Set<number>([
  Command.authenticatorMakeCredential,
  Command.authenticatorClientPIN,
  Command.authenticatorGetAssertion,
  Command.authenticatorGetNextAssertion,
  Command.authenticatorReset,
  Command.authenticatorCredentialManagement,
  Command.authenticatorCredentialManagementPreview,
]);

const CREDENTIALS_CHANGED = Object.freeze({ type: 'credentials' as const });

type Exchange<C> = (request: Uint8Array, ctx: C) => Promise<Uint8Array>;
type ExchangeContext = { signal: AbortSignal; cid?: number };

/** Wrappers around a device's exchanges and outgoing reports (main/device.ts DeviceInterposer). */
export interface ControlInterposer {
  ctap2<C extends ExchangeContext>(next: Exchange<C>): Exchange<C>;
  ctap1<C extends ExchangeContext>(next: Exchange<C>): Exchange<C>;
  send(send: (report: Uint8Array) => void): (report: Uint8Array) => void;
}

/** What the Controller needs of an open device. */
export interface DeviceParts {
  authenticator: { core: Core };
  store: CredentialStore;
  vault: Vault;
  powerCycle(): void;
}

/** Outside key handling (src/crypto), which this layer reaches through the composition root. */
export type KeyCodecs = Pick<ControlledDevice, 'importPrivateKey' | 'exportPrivateKey'>;

export interface ControlParts {
  presence: PresenceBroker;
  faults: Faults;
  trace: TraceLog;
  tracer: Tracer;
  /** Pass to openDevice({ interpose }). */
  interpose: ControlInterposer;
  /** Pass to openDevice({ trace }). */
  hidTrace: (event: CtapHidTraceEvent) => void;
  /** Pass to openDevice({ credentialEvents }): the authenticator's per-credential events, to the Controller. */
  credentialEvents: CredentialEventSink;
  /** Makes the Controller once the device is open. */
  attach(device: DeviceParts): Controller;
}

/** The pieces a device needs before it opens (presence broker, interposers), and the Controller after. */
export function prepareControl(options: {
  keys: KeyCodecs;
  mode?: PresenceMode;
  timeoutMs?: number;
  custom?: UserPresence;
  terminal?: UserPresence;
}): ControlParts {
  let controller: Controller | undefined;
  const presence = new PresenceBroker({
    ...(options.mode && { mode: options.mode }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.custom && { custom: options.custom }),
    ...(options.terminal && { terminal: options.terminal }),
    onChange: (what) => {
      if (!controller) return;
      if (what === 'prompts') controller.emit({ type: 'prompts', prompts: controller.prompts() });
      if (what === 'presence') controller.emit({ type: 'presence', presence: controller.presence() });
      if (what === 'uv') controller.emit({ type: 'uv', uv: controller.uv() });
    },
  });
  const faults = new Faults(() => controller?.emit({ type: 'faults', faults: controller.faults() }));
  const trace = new TraceLog();
  const tracer = new Tracer(trace);
  const interpose: ControlInterposer = {
    ctap2: (next) => {
      const faulty = faultyCtap2(faults, next, (request, response, ctx) => {
        tracer.ctap2Response(request, response, ctx.cid);
        if (CHANGES_CREDENTIALS.has(request[0]!) && response[0] === 0) controller?.emit(CREDENTIALS_CHANGED);
        return response;
      });
      return (request, ctx) => {
        tracer.ctap2Request(request, ctx.cid);
        return faulty(request, ctx);
      };
    },
    ctap1: (next) => {
      const faulty = faultyCtap1(faults, next);
      return async (apdu, ctx) => {
        tracer.ctap1('in', apdu, apdu, ctx.cid);
        const response = await faulty(apdu, ctx);
        tracer.ctap1('out', response, apdu, ctx.cid);
        return response;
      };
    },
    send: (send) => faultySend(faults, send),
  };
  return {
    presence,
    faults,
    trace,
    tracer,
    interpose,
    hidTrace: (e) => tracer.hid(e),
    credentialEvents: {
      credential: (e) => {
        try {
          controller?.credentialEvent(e);
        } catch {
          // a listener's error must not fail the ceremony
        }
      },
    },
    attach(device) {
      controller = new Controller({
        core: device.authenticator.core,
        store: device.store,
        vault: device.vault,
        presence,
        faults,
        trace,
        powerCycle: () => device.powerCycle(),
        ...options.keys,
        stateConfig: () => ({ profile: device.authenticator.core.config.profile }),
        names: {
          command: (name) => lookup(Command, name, 'authenticator'),
          status: (name) => lookup(Status, name, 'CTAP2_ERR_'),
          commandName,
          statusName,
        },
      });
      return controller;
    },
  };
}

function lookup(table: Record<string, number>, name: string, prefix: string): number | undefined {
  if (/^(0x[0-9a-f]{1,2}|\d{1,3})$/i.test(name)) return Number(name);
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(table))
    if (k.toLowerCase() === lower || k.toLowerCase() === (prefix + name).toLowerCase()) return v;
  return undefined;
}

/** The Filecoin app with its APDUs in the trace. */
export function traceWalletApp(app: WalletApp, tracer: Tracer): WalletApp {
  const exchange = app.exchange.bind(app);
  app.exchange = async (apdu, signal) => {
    tracer.apdu('in', apdu, apdu);
    const response = await exchange(apdu, signal);
    tracer.apdu('out', response, apdu);
    return response;
  };
  return app;
}
