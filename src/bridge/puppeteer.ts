/**
 * softkey/puppeteer: attach(page | browser | context, key) puts softkey behind
 * navigator.credentials in Puppeteer-driven Chromium (CDP) and Firefox (WebDriver BiDi).
 *
 * The shim goes in with page.evaluateOnNewDocument (CDP Page.addScriptToEvaluateOnNewDocument,
 * BiDi script.addPreloadScript), so it runs before any page script in every frame and after every
 * navigation. It reaches softkey over a loopback WebSocket bridge started for this attach, with a
 * random token in the URL. The caller's origin is the WebSocket's Origin header, which the browser
 * sets and page script cannot forge (Puppeteer's exposeFunction does not say which frame called,
 * so it cannot serve as a trusted channel). The bridge closes with the page or browser.
 *
 * The bridge also learns from Puppeteer which origins the attached pages show at top level (their
 * main frames), so that script in a cross-origin frame that reaches the bridge by itself, without the
 * shim's grant request, is refused as the shim would refuse it (WebAuthn L3 §5.9, server.ts).
 *
 * Type-only import of puppeteer-core: it is an optional peer dependency.
 */
import type { Browser, BrowserContext, Page, Target } from 'puppeteer-core';
import { WebAuthnClient } from '../client/index.js';
import { startAttachBridge, type Attachment } from './attachBridge.js';
import type { AttachableKey } from './playwright.js';
import type { BridgeClient } from './session.js';

export type { AttachableKey, Attachment };

export interface PuppeteerAttachOptions {
  /** Only these page origins may use the key (default: any origin, the token admits the page). */
  origins?: readonly string[];
  /** The WebAuthn client to use; default key.client, else a new WebAuthnClient over the key. */
  client?: BridgeClient;
  /**
   * How pages reach softkey: always the loopback WebSocket bridge here ('websocket', the default;
   * accepted for symmetry with softkey/playwright). Puppeteer's exposeFunction does not say which
   * frame called it, so it cannot carry a trusted origin.
   */
  channel?: 'websocket';
}

function isPage(target: Page | Browser | BrowserContext): target is Page {
  return typeof (target as Page).evaluateOnNewDocument === 'function';
}

export async function attach(
  target: Page | Browser | BrowserContext,
  key: AttachableKey,
  options: PuppeteerAttachOptions = {},
): Promise<Attachment> {
  if (options.channel !== undefined && options.channel !== 'websocket')
    throw new TypeError(`softkey/puppeteer reaches pages over a WebSocket only, not ${String(options.channel)}`);
  const client = options.client ?? key.client ?? new WebAuthnClient(key);
  const pages = new Set<Page>();
  const attachment = await startAttachBridge(client, () => pages, options.origins);
  const detach = () => attachment.detach();
  const script = attachment.bridge.shimScript();
  const prepare = async (page: Page) => {
    pages.add(page);
    page.once('close', () => pages.delete(page));
    await page.evaluateOnNewDocument(script);
  };
  if (isPage(target)) {
    await prepare(target);
    target.once('close', () => void detach());
  } else {
    // New pages and popups: prepared as their target appears, before the caller can navigate them.
    target.on('targetcreated', (t: Target) => {
      // puppeteer-core stays a type-only import here, so its TargetType enum is compared by value.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison
      if (t.type() !== 'page') return;
      void t
        .page()
        .then((p) => (p ? prepare(p) : undefined))
        .catch(() => undefined);
    });
    for (const page of await target.pages()) await prepare(page);
    const browser =
      'browser' in target && typeof target.browser === 'function' ? target.browser() : (target as Browser);
    browser.once('disconnected', () => void detach());
  }
  return attachment;
}
