/**
 * `softkey/playwright`: puts softkey behind navigator.credentials in a Playwright page.
 *
 *   import { attach } from 'softkey/playwright';
 *   const key = await openSoftKey({ dataDir: ':memory:' });
 *   await attach(page, key);            // before page.goto
 *
 * How: the page shim (WebAuthn L3 §5.1.3 / §5.1.4 entry points, pageShim.ts) is added with
 * addInitScript, so it runs before any page script in every frame and after every navigation, and
 * it reaches softkey through page.exposeBinding instead of a socket. That choice is the robust one:
 * no port to open, nothing a page's Content-Security-Policy (connect-src) or mixed-content rules can
 * block, no token to leak, and the caller's origin comes from Playwright's own record of the frame's
 * URL, which page script cannot forge. Requests from a frame whose origin differs from the top-level
 * page's are refused (NotAllowedError), as browsers do without a permissions policy.
 *
 * Works with any Playwright Page or BrowserContext (type-only import: no runtime dependency).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { WebAuthnClient, type CtapTransport } from '../client/index.js';
import { pageShimScript } from './pageShim.js';
import type { BridgeReply } from './protocol.js';
import { BridgeSession, type BridgeClient } from './session.js';
import { normalizeOrigin } from './server.js';

/** What attach() needs of a key: openSoftKey()/connectSoftKey() results qualify. */
export type AttachableKey = CtapTransport & { client?: BridgeClient };

export interface AttachOptions {
  /** Only these page origins may use the key (default: any origin the page navigates to). */
  origins?: readonly string[];
  /** The WebAuthn client to use; default key.client, else a new WebAuthnClient over the key. */
  client?: BridgeClient;
}

const BINDING = '__softkeyBridge';

export async function attach(target: Page | BrowserContext, key: AttachableKey, options: AttachOptions = {}): Promise<void> {
  const client = options.client ?? key.client ?? new WebAuthnClient(key);
  const allowed = options.origins?.map((o) => normalizeOrigin(o) ?? o);
  const session = new BridgeSession(client);
  await target.exposeBinding(BINDING, async (source, message: unknown): Promise<BridgeReply | undefined> => {
    const origin = normalizeOrigin(source.frame.url());
    const id = typeof (message as { id?: unknown })?.id === 'string' ? (message as { id: string }).id : '';
    const refuse = (name: string, text: string): BridgeReply => ({ id, ok: false, error: { name, message: text } });
    if (!origin) return refuse('SecurityError', 'the document has an opaque origin');
    if (allowed && !allowed.includes(origin)) return refuse('NotAllowedError', `softkey is not attached for ${origin}`);
    const top = normalizeOrigin(source.page.mainFrame().url());
    if (source.frame !== source.page.mainFrame() && top !== origin) return refuse('NotAllowedError', 'cross-origin frames may not use softkey');
    return session.handle(message, origin);
  });
  await target.addInitScript({ content: pageShimScript({ kind: 'binding', name: BINDING }) });
}
