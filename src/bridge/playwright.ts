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
 * URL, which page script cannot forge. A frame whose origin differs from the top-level page's is
 * served only when every embedding <iframe> on the way up grants the feature in its `allow`
 * attribute (`publickey-credentials-create` / `-get`, WebAuthn L3 §5.9, Permissions Policy §4.2
 * container policy); clientData then carries crossOrigin: true and topOrigin. Otherwise it is
 * refused with NotAllowedError, as browsers do. (Permissions-Policy response headers are not read.)
 *
 * Works with any Playwright Page or BrowserContext (type-only import: no runtime dependency).
 */
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { WebAuthnClient, type CtapTransport } from '../client/index.js';
import { pageShimScript } from './pageShim.js';
import type { BridgeReply } from './protocol.js';
import { BridgeSession, type BridgeClient } from './session.js';
import { allowAttributeGrants, featureFor, notGrantedMessage } from './permissionsPolicy.js';
import { normalizeOrigin } from './protocol.js';

export { allowAttributeGrants };

/** What attach() needs of a key: openSoftKey()/connectSoftKey() results qualify. */
export type AttachableKey = CtapTransport & { client?: BridgeClient };

export interface AttachOptions {
  /** Only these page origins may use the key (default: any origin the page navigates to). */
  origins?: readonly string[];
  /** The WebAuthn client to use; default key.client, else a new WebAuthnClient over the key. */
  client?: BridgeClient;
}

const BINDING = '__softkeyBridge';

/** What Playwright tells a binding about its caller. */
type BindingSource = { frame: Frame; page: Page };

/** Every cross-origin frame between `frame` and the top is granted `feature` by its <iframe>. */
async function frameGranted(frame: Frame, feature: string, top: string): Promise<boolean> {
  for (let f: Frame = frame, parent = f.parentFrame(); parent; f = parent, parent = f.parentFrame()) {
    const origin = normalizeOrigin(f.url());
    if (!origin) return false;
    if (origin === top) continue;
    const element = await f.frameElement();
    try {
      const allow = await element.getAttribute('allow');
      if (!allowAttributeGrants(allow, feature, origin, normalizeOrigin(parent.url()) ?? '')) return false;
    } finally {
      await element.dispose();
    }
  }
  return true;
}

export async function attach(
  target: Page | BrowserContext,
  key: AttachableKey,
  options: AttachOptions = {},
): Promise<void> {
  const client = options.client ?? key.client ?? new WebAuthnClient(key);
  const allowed = options.origins?.map((o) => normalizeOrigin(o) ?? o);
  const session = new BridgeSession(client);
  // One JSON string each way (the shim's `json` channel): Playwright then serializes a string, not
  // the options and the credential field by field.
  const answer = async (source: BindingSource, text: unknown): Promise<string | undefined> => {
    let message: unknown;
    try {
      message = typeof text === 'string' ? JSON.parse(text) : undefined;
    } catch {
      message = undefined;
    }
    const reply = await serve(source, message);
    return reply && JSON.stringify(reply);
  };
  const serve = async (source: BindingSource, message: unknown): Promise<BridgeReply | undefined> => {
    const origin = normalizeOrigin(source.frame.url());
    const m = (typeof message === 'object' && message !== null ? message : {}) as { id?: unknown; type?: unknown };
    const id = typeof m.id === 'string' ? m.id : '';
    const refuse = (name: string, text: string): BridgeReply => ({ id, ok: false, error: { name, message: text } });
    if (!origin) return refuse('SecurityError', 'the document has an opaque origin');
    if (allowed && !allowed.includes(origin)) return refuse('NotAllowedError', `softkey is not attached for ${origin}`);
    const top = normalizeOrigin(source.page.mainFrame().url());
    if (!top || top === origin || m.type === 'abort') return session.handle(message, origin);
    const feature = featureFor(m.type === 'create' ? 'create' : 'get');
    if (!(await frameGranted(source.frame, feature, top))) {
      return refuse('NotAllowedError', notGrantedMessage(feature, origin));
    }
    return session.handle(message, origin, top);
  };
  await target.exposeBinding(BINDING, answer);
  const uvpa = (await client.isUserVerifyingPlatformAuthenticatorAvailable?.()) === true;
  await target.addInitScript({
    content: pageShimScript(
      { kind: 'binding', name: BINDING, json: true },
      { userVerifyingPlatformAuthenticator: uvpa },
    ),
  });
}
