/** A softkey device in-process, reached only through a CtapTransport (as the client would). */
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import type { Env } from '../../src/authenticator/env.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { decode, encode, type CborMap } from '../../src/encoding/cbor.js';
import type { CtapTransport } from '../../src/client/transport.js';
import { WebAuthnClient, type WebAuthnClientOptions } from '../../src/client/webauthnClient.js';
import { testContext, testEnv } from '../helpers/env.js';

export const ORIGIN = 'http://localhost:5173';
export const RP_ID = 'localhost';

export async function makeDevice(
  config: Partial<AuthenticatorConfig> = {},
  clientOptions: WebAuthnClientOptions = {},
  envPatch: Partial<Env> = {},
) {
  const env = Object.assign(testEnv(), envPatch);
  const auth = await createAuthenticator(env, defaultConfig(config));
  const requests: Uint8Array[] = [];
  const signals: AbortSignal[] = [];
  const transport: CtapTransport = {
    async cbor(request, opts) {
      requests.push(request.slice());
      if (opts?.signal) signals.push(opts.signal);
      const ctx = testContext();
      // CTAPHID_CANCEL, as the UDP/WebSocket transports will send it.
      opts?.signal?.addEventListener('abort', () => ctx.controller.abort(), { once: true });
      return dispatchCtap2(auth, request, ctx);
    },
  };
  const client = new WebAuthnClient(transport, clientOptions);
  return { env, auth, transport, requests, signals, client };
}

export const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** The same device with its authenticatorGetInfo answer rewritten (an authenticator that lacks, or claims, something). */
export function patchInfo(transport: CtapTransport, patch: (info: CborMap) => void): CtapTransport {
  return {
    async cbor(req, opts) {
      const res = await transport.cbor(req, opts);
      if (req[0] !== 0x04 || res[0] !== 0) return res;
      const info = decode(res.subarray(1)) as CborMap;
      patch(info);
      return new Uint8Array([0, ...encode(info)]);
    },
  };
}
