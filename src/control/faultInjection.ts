/**
 * Applies the control API's fault plan (src/control/faults.ts) around a device, so the
 * authenticator stays correct and only what leaves the device is wrong: CTAP2 commands answered
 * with a chosen error, late responses, dropped or damaged HID reports. Withheld user presence is
 * applied by the presence broker; a bad assertion signature is the wrong answer `bad-signature`.
 */
import type { Faults } from './faults.js';

type Exchange<C extends { signal: AbortSignal }> = (request: Uint8Array, ctx: C) => Promise<Uint8Array>;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => (clearTimeout(t), signal.removeEventListener('abort', done), resolve());
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** CTAP2 (command ‖ CBOR → status ‖ CBOR) with the plan's error and delay faults. */
export function faultyCtap2<C extends { signal: AbortSignal }>(faults: Faults, next: Exchange<C>): Exchange<C> {
  return async (request, ctx) => {
    const command = request[0];
    const forced = command === undefined ? undefined : faults.ctapErrorFor(command);
    const response = forced !== undefined ? new Uint8Array([forced]) : await next(request, ctx);
    if (faults.delayMs > 0) await sleep(faults.delayMs, ctx.signal);
    return response;
  };
}

/** CTAP1/U2F messages: only the delay applies. */
export function faultyCtap1<C extends { signal: AbortSignal }>(faults: Faults, next: Exchange<C>): Exchange<C> {
  return async (apdu, ctx) => {
    const response = await next(apdu, ctx);
    await sleep(faults.delayMs, ctx.signal);
    return response;
  };
}

/** Outgoing 64-byte reports: the Nth may be dropped or damaged. */
export function faultySend(faults: Faults, send: (report: Uint8Array) => void): (report: Uint8Array) => void {
  return (report) => {
    const out = faults.outgoingReport(report);
    if (out) send(out);
  };
}
