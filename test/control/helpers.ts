/** Shared pieces of the control tests: CTAP2 requests, a CTAPHID host wired to an in-process device. */
import { createHash } from 'node:crypto';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import type { SoftKey } from '../../src/main/softkey.js';

export const clientDataHash = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());

export function makeCredential(rpId: string, opts: { rk?: boolean; uv?: boolean; user?: string } = {}) {
  return encodeMakeCredentialRequest({
    clientDataHash: clientDataHash('mc'),
    rp: { id: rpId, name: `${rpId} RP` },
    user: { id: new TextEncoder().encode(opts.user ?? 'alice'), name: opts.user ?? 'alice', displayName: 'Alice' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { ...(opts.rk && { rk: true }), ...(opts.uv && { uv: true }) },
  });
}

export function getAssertion(rpId: string, allow?: Uint8Array, label = 'ga') {
  return encodeGetAssertionRequest({
    rpId,
    clientDataHash: clientDataHash(label),
    ...(allow && { allowList: [{ type: 'public-key' as const, id: allow }] }),
  });
}

/** A CTAPHID host talking to the key through 64-byte reports in memory; `reports` sees what the device sent. */
export async function hidHost(key: SoftKey, timeoutMs = 2000) {
  const listeners: Array<(r: Uint8Array) => void> = [];
  const reports: Uint8Array[] = [];
  const device = key.device.createHidDevice((report) => {
    reports.push(report);
    for (const l of listeners) setImmediate(() => l(report));
  });
  const host = new CtapHidHost(
    { send: (report) => void setImmediate(() => device.receive(report)), onReport: (cb) => listeners.push(cb) },
    { rng: (n) => new Uint8Array(n).fill(7), timeoutMs, reinitOnInvalidChannel: false },
  );
  await host.init();
  return { host, reports };
}
