/**
 * One page's conversation with softkey: turns bridge requests (protocol.ts) into WebAuthn L3
 * §5.1.3 [[Create]] / §5.1.4 [[DiscoverFromExternalSource]] calls on a WebAuthnClient, with the
 * origin the bridge itself established (never the one the page claims), and the result or a
 * WebAuthn error name back. Messages come from untrusted pages: anything malformed is answered with
 * an error, nothing throws.
 */
import { WebAuthnError, type WebAuthnClient } from '../client/index.js';
import type { BridgeErrorJSON, BridgeReply } from './protocol.js';

export type BridgeClient = Pick<WebAuthnClient, 'create' | 'get'> &
  Partial<
    Pick<
      WebAuthnClient,
      | 'isUserVerifyingPlatformAuthenticatorAvailable'
      | 'getClientCapabilities'
      | 'signalUnknownCredential'
      | 'signalAllAcceptedCredentials'
      | 'signalCurrentUserDetails'
    >
  >;

const SIGNALS = {
  unknownCredential: 'signalUnknownCredential',
  allAcceptedCredentials: 'signalAllAcceptedCredentials',
  currentUserDetails: 'signalCurrentUserDetails',
} as const;

const ID = /^[\w.:-]{1,64}$/;

function errorJSON(e: unknown): BridgeErrorJSON {
  if (e instanceof WebAuthnError) return { name: e.name, message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { name: 'AbortError', message: e.message };
  return { name: 'UnknownError', message: e instanceof Error ? e.message : String(e) };
}

export class BridgeSession {
  private readonly pending = new Map<string, AbortController>();

  constructor(private readonly client: BridgeClient) {}

  /** How many requests are running. */
  get active(): number {
    return this.pending.size;
  }

  /**
   * Handles one message. `trustedOrigin` is the page's origin as the bridge knows it (WebSocket
   * Origin header, Playwright frame URL); `topOrigin` the top-level origin when the page is a
   * cross-origin frame its embedder allowed (L3 §5.9). Resolves to the reply, or undefined (abort).
   */
  async handle(message: unknown, trustedOrigin: string, topOrigin?: string): Promise<BridgeReply | undefined> {
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    const id = typeof m.id === 'string' && ID.test(m.id) ? m.id : '';
    const fail = (name: string, text: string): BridgeReply => ({ id, ok: false, error: { name, message: text } });
    if (!id) return fail('TypeError', 'bridge message without a valid id');
    if (m.type === 'abort') {
      this.pending.get(id)?.abort(new WebAuthnError('AbortError', 'the page aborted the request'));
      return undefined;
    }
    if (!['create', 'get', 'signal', 'capabilities'].includes(m.type as string))
      return fail('NotSupportedError', `unknown bridge request type ${JSON.stringify(m.type)}`);
    if (m.origin !== trustedOrigin)
      return fail('SecurityError', 'the page origin does not match the connection origin');
    if (m.type === 'capabilities') {
      if (!this.client.getClientCapabilities)
        return fail('NotSupportedError', 'this client does not report capabilities');
      return this.client.getClientCapabilities().then(
        (value) => ({ id, ok: true, value }),
        (e: unknown) => ({ id, ok: false, error: errorJSON(e) }),
      );
    }
    if (m.type === 'signal') {
      const method =
        typeof m.signal === 'string' && Object.hasOwn(SIGNALS, m.signal)
          ? SIGNALS[m.signal as keyof typeof SIGNALS]
          : undefined;
      const fn = method && this.client[method];
      if (!fn) return fail('NotSupportedError', `unknown signal ${JSON.stringify(m.signal)}`);
      try {
        await fn.call(this.client, m.options as never, { origin: trustedOrigin });
        return { id, ok: true, value: null };
      } catch (e) {
        return { id, ok: false, error: errorJSON(e) };
      }
    }
    if (this.pending.has(id)) return fail('InvalidStateError', `request ${id} is already running`);
    const controller = new AbortController();
    this.pending.set(id, controller);
    try {
      const ctx = {
        origin: trustedOrigin,
        signal: controller.signal,
        ...(topOrigin !== undefined && { topOrigin }),
        ...(typeof m.mediation === 'string' && { mediation: m.mediation as 'optional' }),
      };
      const credential =
        m.type === 'create'
          ? await this.client.create(m.options as never, ctx)
          : await this.client.get(m.options as never, ctx);
      return { id, ok: true, credential };
    } catch (e) {
      return { id, ok: false, error: errorJSON(e) };
    } finally {
      this.pending.delete(id);
    }
  }

  /** The page went away: cancel everything it started. */
  close(): void {
    for (const c of this.pending.values()) c.abort(new WebAuthnError('AbortError', 'the page closed'));
    this.pending.clear();
  }
}
