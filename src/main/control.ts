/**
 * Composition of the control API (src/control) with a device: the presence broker as the device's
 * UserPresence, faults and trace interposed around its exchanges and reports (main/faults.ts,
 * main/controlTrace.ts), and the Controller over the authenticator's core and store.
 */
import type { UserPresence } from '../authenticator/env.js';
import { Command } from '../ctap2/commands.js';
import { Status } from '../ctap2/status.js';
import { commandName } from '../ctap2/commands.js';
import { statusName } from '../ctap2/status.js';
import { importCredentialPrivateKey } from '../crypto/importKey.js';
import { pkcs8OfSecret } from '../crypto/credentialKeys.js';
import type { CredentialEventSink } from '../authenticator/credentialEvents.js';
import * as b64u from '../encoding/base64url.js';
import { fromHex } from '../encoding/bytes.js';
import { Controller, ControlError, type PrivateKeyJson } from '../control/controller.js';
import { Faults } from '../control/faults.js';
import { PresenceBroker, type PresenceMode } from '../control/presence.js';
import { TraceLog } from '../control/trace.js';
import type { WalletApp } from '../wallet/dispatcher.js';
import type { CtapHidTraceEvent } from '../ctaphid/channels.js';
import type { Device, DeviceInterposer } from './device.js';
import { Tracer } from '../control/traceDecoding.js';
import { faultyCtap1, faultyCtap2, faultySend } from '../control/faultInjection.js';

export { Controller, ControlError } from '../control/controller.js';
export type { AddCredentialInput, CredentialInfo, ControlEvent, CredentialEventJson } from '../control/controller.js';
export type { FaultPlan } from '../control/faults.js';
export { WRONG_ANSWERS, type WrongAnswerInfo } from '../control/wrongAnswers.js';
export type { Prompt } from '../control/presence.js';

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

export interface ControlParts {
  presence: PresenceBroker;
  faults: Faults;
  trace: TraceLog;
  tracer: Tracer;
  /** Pass to openDevice({ interpose }). */
  interpose: DeviceInterposer;
  /** Pass to openDevice({ trace }). */
  hidTrace: (event: CtapHidTraceEvent) => void;
  /** Pass to openDevice({ credentialEvents }): the authenticator's per-credential events, to the Controller. */
  credentialEvents: CredentialEventSink;
  /** Makes the Controller once the device is open. */
  attach(device: Device): Controller;
}

/** The pieces a device needs before it opens (presence broker, interposers), and the Controller after. */
export function prepareControl(
  options: { mode?: PresenceMode; timeoutMs?: number; custom?: UserPresence; terminal?: UserPresence } = {},
): ControlParts {
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
  const interpose: DeviceInterposer = {
    ctap2: (next) => {
      const faulty = faultyCtap2(faults, next);
      return async (request, ctx) => {
        tracer.ctap2Request(request, ctx.cid);
        const response = await faulty(request, ctx);
        tracer.ctap2Response(request, response, ctx.cid);
        if (CHANGES_CREDENTIALS.has(request[0]!) && response[0] === 0) controller?.emit({ type: 'credentials' });
        return response;
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
        importPrivateKey: importPrivateKeyJson,
        exportPrivateKey: pkcs8OfSecret,
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

function bytesOf(text: string, what: string): Uint8Array {
  if (/^([0-9a-f]{2})+$/i.test(text) && text.length === 64) return fromHex(text);
  try {
    return b64u.decode(text);
  } catch {
    throw new ControlError(`${what} must be hex or base64url`);
  }
}

/** A private key given as JSON (PKCS#8 PEM or base64url DER, JWK, or a P-256 scalar in hex/base64url). */
export function importPrivateKeyJson(input: PrivateKeyJson) {
  if ('pkcs8' in input && typeof input.pkcs8 === 'string') {
    return importCredentialPrivateKey({
      pkcs8: input.pkcs8.includes('-----BEGIN') ? input.pkcs8 : bytesOf(input.pkcs8, 'pkcs8'),
    });
  }
  if ('jwk' in input && typeof input.jwk === 'object' && input.jwk !== null)
    return importCredentialPrivateKey({ jwk: input.jwk });
  if ('p256Scalar' in input && typeof input.p256Scalar === 'string')
    return importCredentialPrivateKey({ p256Scalar: bytesOf(input.p256Scalar, 'p256Scalar') });
  throw new ControlError('privateKey must be { pkcs8 } or { jwk } or { p256Scalar }');
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
