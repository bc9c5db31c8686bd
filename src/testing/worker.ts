/**
 * softkey/testing's key host: a worker thread that holds the in-memory keys and runs the ceremonies.
 *
 * Why a thread: a DOM test environment replaces the realm's globals (Vitest's jsdom environment puts
 * jsdom's ArrayBuffer and Uint8Array on globalThis; Jest runs the test's modules in jsdom's own vm
 * context), while node:crypto and WebCrypto accept only their own realm's buffers. The key, its
 * WebAuthn client (src/client) and the bridge session (bridge/session.ts) therefore run here, in a
 * clean Node realm; the test's window only holds the page shim, and plain JSON crosses between them.
 *
 *   → { id, op: 'open', keyOptions, passkeys }          ← { id, ok, value: { key, uvpa, passkeys } }
 *   → { id, op: 'bridge', key, message, origin }        ← { id, ok, value: BridgeReply | undefined }
 *   → { id, op: 'control', key, method, args }          ← { id, ok, value } | { id, ok: false, error }
 *   → { id, op: 'close', key }                          ← { id, ok, value: null }
 */
import { parentPort } from 'node:worker_threads';
import { BridgeSession } from '../bridge/session.js';
import { randomBytes } from '../crypto/aead.js';
import { generateCredentialKey, pkcs8OfSecret } from '../crypto/credentialKeys.js';
import * as b64u from '../encoding/base64url.js';
import { CoseAlg } from '../encoding/cose.js';
import type { AddCredentialInput, Controller } from '../main/control.js';
import { openSoftKey, type OpenSoftKeyOptions, type SoftKey } from '../main/softkey.js';
import { CONTROL_METHODS, type Passkey, type PasskeyInput, type WorkerReply, type WorkerRequest } from './protocol.js';

const keys = new Map<number, { key: SoftKey; session: BridgeSession }>();
let next = 1;

/** Makes up what a PasskeyInput leaves out: a new ES256 key and, for a discoverable credential, a random user.id. */
function addPasskey(key: SoftKey, input: PasskeyInput): Passkey {
  const resident = input.resident ?? true;
  const userId = input.userId ?? (resident ? b64u.encode(randomBytes(16)) : undefined);
  let privateKey = input.privateKey;
  if (!privateKey) {
    const pair = generateCredentialKey(CoseAlg.ES256);
    privateKey = { pkcs8: b64u.encode(pkcs8OfSecret(pair.alg, pair.secret)) };
  }
  const credential: AddCredentialInput = { ...input, resident, ...(userId !== undefined && { userId }), privateKey };
  const made = key.control.addCredential(credential);
  return {
    credentialId: made.credentialId,
    publicKey: made.publicKey,
    rpId: credential.rpId,
    ...(userId !== undefined && { userId }),
    signCount: credential.signCount ?? 0,
  };
}

function entry(id: unknown) {
  const e = keys.get(id as number);
  if (!e) throw new Error('this softkey/testing key is closed (uninstalled)');
  return e;
}

async function run(r: WorkerRequest): Promise<unknown> {
  switch (r.op) {
    case 'open': {
      const options: OpenSoftKeyOptions = { ...r.keyOptions, dataDir: r.keyOptions?.dataDir ?? ':memory:' };
      const key = await openSoftKey(options);
      try {
        const passkeys = (r.passkeys ?? []).map((p) => addPasskey(key, p));
        const uvpa = (await key.client.isUserVerifyingPlatformAuthenticatorAvailable()) === true;
        const id = next++;
        keys.set(id, { key, session: new BridgeSession(key.client) });
        return { key: id, uvpa, passkeys };
      } catch (e) {
        await key.close();
        throw e;
      }
    }
    case 'bridge':
      return entry(r.key).session.handle(r.message, r.origin);
    case 'addPasskey':
      return addPasskey(entry(r.key).key, r.input);
    case 'control': {
      if (!(CONTROL_METHODS as readonly string[]).includes(r.method)) {
        throw new TypeError(`control has no method ${JSON.stringify(r.method)}`);
      }
      const control = entry(r.key).key.control;
      return (control[r.method as keyof Controller] as (...a: unknown[]) => unknown).apply(control, r.args);
    }
    case 'close': {
      const e = keys.get(r.key);
      keys.delete(r.key);
      e?.session.close();
      await e?.key.close();
      return null;
    }
  }
}

parentPort!.on('message', (r: WorkerRequest) => {
  run(r).then(
    (value) => parentPort!.postMessage({ id: r.id, ok: true, value } satisfies WorkerReply),
    (e: unknown) => {
      const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
      parentPort!.postMessage({ id: r.id, ok: false, error } satisfies WorkerReply);
    },
  );
});
