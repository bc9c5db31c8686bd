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
 * `channel: 'websocket'` (Chromium; opt-in) trades that robustness for speed: the shim then reaches a
 * loopback WebSocket bridge started for this attach (attachBridge.ts: per-attach token, Origin and
 * Host checks), the channel softkey/puppeteer uses. One WebSocket message each way costs less than a
 * Playwright binding call (which goes page → browser → Playwright's protocol → Node and back), but the
 * page's CSP connect-src must allow ws://127.0.0.1, Chromium's Local Network Access may ask before a
 * public page reaches loopback, and a port stays open on 127.0.0.1 until the context or page closes.
 *
 * Works with any Playwright Page or BrowserContext (type-only import: no runtime dependency).
 */
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { WebAuthnClient, type CtapTransport } from '../client/index.js';
import { startAttachBridge, type Attachment } from './attachBridge.js';
import { pageShimScript } from './pageShim.js';
import type { BridgeReply } from './protocol.js';
import { BridgeSession, type BridgeClient } from './session.js';
import { allowAttributeGrants, featureFor, notGrantedMessage } from './permissionsPolicy.js';
import { normalizeOrigin } from './protocol.js';

export { allowAttributeGrants };
export type { Attachment };

/** What attach() needs of a key: openSoftKey()/connectSoftKey() results qualify. */
export type AttachableKey = CtapTransport & { client?: BridgeClient };

export interface AttachOptions {
  /** Only these page origins may use the key (default: any origin the page navigates to). */
  origins?: readonly string[];
  /** The WebAuthn client to use; default key.client, else a new WebAuthnClient over the key. */
  client?: BridgeClient;
  /**
   * How the page reaches softkey: 'binding' (the default) through page.exposeBinding; 'websocket'
   * through a loopback WebSocket bridge of this attach's own (faster; see the module comment for the trade).
   */
  channel?: 'binding' | 'websocket';
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

/** A Page's or a BrowserContext's pages, as the bridge asks after them. */
function pagesOf(target: Page | BrowserContext): () => Page[] {
  return 'pages' in target ? () => target.pages() : () => [target];
}

/** `channel: 'websocket'`: the shim in every page of `target`, talking to a bridge that closes with it. */
async function attachOverWebSocket(
  target: Page | BrowserContext,
  client: BridgeClient,
  options: AttachOptions,
): Promise<Attachment> {
  const attachment = await startAttachBridge(client, pagesOf(target), options.origins);
  const detach = () => void attachment.detach();
  // Page and BrowserContext overload once() differently, so the union is not callable: one branch each.
  if ('pages' in target) target.once('close', detach);
  else target.once('close', detach);
  try {
    await target.addInitScript({ content: attachment.bridge.shimScript() });
  } catch (e) {
    await attachment.detach();
    throw e;
  }
  return attachment;
}

/**
 * Puts softkey behind navigator.credentials in `target` (a Page, or a BrowserContext: every page,
 * popup and frame of it). Call before navigating. Over `channel: 'websocket'` it resolves to the
 * bridge, which closes with the page or context (or by `detach()`).
 */
export async function attach(
  target: Page | BrowserContext,
  key: AttachableKey,
  options: AttachOptions & { channel: 'websocket' },
): Promise<Attachment>;
export async function attach(
  target: Page | BrowserContext,
  key: AttachableKey,
  options?: AttachOptions & { channel?: 'binding' },
): Promise<void>;
export async function attach(
  target: Page | BrowserContext,
  key: AttachableKey,
  options?: AttachOptions,
): Promise<Attachment | void>;
export async function attach(
  target: Page | BrowserContext,
  key: AttachableKey,
  options: AttachOptions = {},
): Promise<Attachment | void> {
  const client = options.client ?? key.client ?? new WebAuthnClient(key);
  if (options.channel === 'websocket') return attachOverWebSocket(target, client, options);
  if (options.channel !== undefined && options.channel !== 'binding')
    throw new TypeError(`unknown softkey channel ${String(options.channel)}: 'binding' or 'websocket'`);
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
