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

/**
 * CTAP2 (command ‖ CBOR → status ‖ CBOR) with the plan's error and delay faults; `answered` sees each
 * response as it leaves, after any delay (the trace). One promise reaction per command, not an async
 * frame and a second reaction (the in-process hot path, issue 19). The delay is the plan's when the
 * response is ready, as before.
 */
export function faultyCtap2<C extends { signal: AbortSignal }>(
  faults: Faults,
  next: Exchange<C>,
  answered: (request: Uint8Array, response: Uint8Array, ctx: C) => Uint8Array = (_request, response) => response,
): Exchange<C> {
  return (request, ctx) => {
    const command = request[0];
    const forced = command === undefined ? undefined : faults.ctapErrorFor(command);
    let response: Promise<Uint8Array>;
    try {
      response = forced !== undefined ? Promise.resolve(new Uint8Array([forced])) : next(request, ctx);
    } catch (e) {
      response = Promise.reject(e);
    }
    return response.then((r) =>
      faults.delayMs > 0
        ? sleep(faults.delayMs, ctx.signal).then(() => answered(request, r, ctx))
        : answered(request, r, ctx),
    );
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
