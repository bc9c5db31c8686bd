/**
 * Applies the control API's fault plan (src/control/faults.ts) around a device, so the
 * authenticator stays correct and only what leaves the device is wrong: CTAP2 commands answered
 * with a chosen error, a bad assertion signature, late responses, dropped or damaged HID reports.
 * Withheld user presence is applied by the presence broker.
 */
import { Command } from '../ctap2/commands.js';
import { decode, encode, type CborMap } from '../encoding/cbor.js';
import type { Faults } from './faults.js';

/** §6.2 authenticatorGetAssertion response member 0x03: signature. */
const SIGNATURE_KEY = 0x03;

type Exchange<C extends { signal: AbortSignal }> = (request: Uint8Array, ctx: C) => Promise<Uint8Array>;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => (clearTimeout(t), signal.removeEventListener('abort', done), resolve());
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A successful assertion response whose signature no longer verifies (last byte flipped). */
export function spoilSignature(response: Uint8Array): Uint8Array {
  const map = decode(response.subarray(1)) as CborMap;
  const sig = map.get(SIGNATURE_KEY);
  if (!(sig instanceof Uint8Array) || sig.length === 0) return response;
  const bad = sig.slice();
  bad[bad.length - 1]! ^= 0x01;
  map.set(SIGNATURE_KEY, bad);
  const body = encode(map);
  const out = new Uint8Array(1 + body.length);
  out.set(body, 1);
  return out;
}

/** CTAP2 (command ‖ CBOR → status ‖ CBOR) with the plan's error, bad-signature and delay faults. */
export function faultyCtap2<C extends { signal: AbortSignal }>(faults: Faults, next: Exchange<C>): Exchange<C> {
  return async (request, ctx) => {
    const command = request[0];
    const forced = command === undefined ? undefined : faults.ctapErrorFor(command);
    let response = forced !== undefined ? new Uint8Array([forced]) : await next(request, ctx);
    const isAssertion =
      command === Command.authenticatorGetAssertion || command === Command.authenticatorGetNextAssertion;
    if (isAssertion && response[0] === 0 && response.length > 1 && faults.takeBadSignature())
      response = spoilSignature(response);
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
