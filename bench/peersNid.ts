/**
 * The nid-webauthn-emulator side of `peers.*`, on a worker thread of its own (bench/peers.ts starts
 * it): its heap is bounded (`resourceLimits`) and separate, so the emulator's garbage (every call
 * re-reads and parses every stored credential: ~100 MB of strings a call at 10,000) neither
 * grows the bench process without bound nor lands in softkey's rounds as garbage-collection pauses.
 *
 * workerData: { count }. Messages in: { roundMs, maxCalls } (one round); out: 'tick' after each
 * call, at most twice a second (the watchdog's progress), then { rate } (calls per second over the round), or { error }.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { AuthenticatorEmulator, PasskeysCredentialsMemoryRepository, WebAuthnEmulator } from 'nid-webauthn-emulator';
import { creation, getRequest, ORIGIN } from './peersShared.js';

interface Credential {
  publicKeyCredentialDescriptor: { id: Uint8Array };
  user: { id: Uint8Array };
}

/** nid-webauthn-emulator holding `count` credentials of the RP; answers the first one's ID. */
function nidWith(count: number): { emulator: WebAuthnEmulator; id: string } {
  const repository = new PasskeysCredentialsMemoryRepository();
  const authenticator = new AuthenticatorEmulator({
    credentialsRepository: repository,
    algorithmIdentifiers: ['ES256'],
  });
  const emulator = new WebAuthnEmulator(authenticator);
  const made = emulator.createJSON(ORIGIN, creation(0));
  const [first] = repository.loadCredentials() as unknown as Credential[];
  for (let i = 1; i < count; i++) {
    if ((i & 255) === 0) parentPort!.postMessage('tick');
    const id = new Uint8Array(first!.publicKeyCredentialDescriptor.id);
    id[0] = i & 255;
    id[1] = (i >> 8) & 255;
    id[2] = (i >> 16) & 255;
    id[3] = (id[3]! ^ 0x5a) & 255;
    const copy = {
      ...first!,
      publicKeyCredentialDescriptor: { ...first!.publicKeyCredentialDescriptor, id },
      user: { ...first!.user, id: new Uint8Array([i & 255, (i >> 8) & 255, (i >> 16) & 255, 2]) },
    };
    repository.saveCredential(copy as never);
  }
  return { emulator, id: made.rawId };
}

const { count } = workerData as { count: number };
const nid = nidWith(count);
const call = () => nid.emulator.getJSON(ORIGIN, getRequest(nid.id, randomBytes(32)));

/** Tells the bench's watchdog that calls go on, at most twice a second (a message costs a little). */
let lastTick = 0;
function tick(now: number): void {
  if (now - lastTick < 500) return;
  lastTick = now;
  parentPort!.postMessage('tick');
}

/** Like measure.ts's opsPerSecond, with at most `maxCalls` measured calls (after the warm-up). */
function round(roundMs: number, maxCalls: number): number {
  const warmUntil = performance.now() + Math.min(300, roundMs / 5);
  let now: number;
  do {
    call();
    tick((now = performance.now()));
  } while (now < warmUntil);
  let n = 0;
  const start = performance.now();
  now = start;
  while (n < maxCalls && now - start < roundMs) {
    call();
    n++;
    tick((now = performance.now()));
  }
  return (n * 1000) / (now - start);
}

parentPort!.on('message', (m: { roundMs: number; maxCalls: number }) => {
  try {
    parentPort!.postMessage({ rate: round(m.roundMs, m.maxCalls) });
  } catch (e) {
    parentPort!.postMessage({ error: String(e) });
  }
});
parentPort!.postMessage({ ready: true });
